import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import type { TokenClient } from '../desktop-handoff/studio-clients.js';
import { User } from '../users/user.entity.js';

/** What is stored; `expired` is derived from `expires_at` when read. */
export type DeviceAuthorizationStatus = 'pending' | 'authorized' | 'denied' | 'redeemed';

/**
 * One RFC 8628 device authorization. Device code and user code are kept as SHA-256 only: a copy of
 * the table lets nobody poll for a token or approve a request.
 */
@Entity({ name: 'device_authorizations' })
export class DeviceAuthorization {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 32 })
  client: TokenClient;

  @Column({ type: 'varchar', length: 256, nullable: true })
  scope: string | null;

  @Index('device_authorizations_device_code_hash_key', { unique: true })
  @Column({ name: 'device_code_hash', type: 'char', length: 64 })
  deviceCodeHash: string;

  @Index('device_authorizations_user_code_hash_key', { unique: true })
  @Column({ name: 'user_code_hash', type: 'char', length: 64 })
  userCodeHash: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: DeviceAuthorizationStatus;

  @Index('device_authorizations_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  /** The identity provider the approving browser signed in through; the device's refresh stops when it is disabled. */
  @Column({ name: 'provider_id', type: 'varchar', length: 40, nullable: true })
  providerId: string | null;

  /** Shown on the confirmation page, so a person can tell a request they did not start. */
  @Column({ name: 'requester_ip', type: 'varchar', length: 64 })
  requesterIp: string;

  @Column({ name: 'requester_agent', type: 'varchar', length: 512 })
  requesterAgent: string;

  /** Grows by 5 seconds at each `slow_down` (RFC 8628 §3.5). */
  @Column({ name: 'interval_seconds', type: 'integer' })
  intervalSeconds: number;

  @Column({ name: 'last_polled_at', type: 'timestamptz', nullable: true })
  lastPolledAt: Date | null;

  @Index('device_authorizations_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @Column({ name: 'redeemed_at', type: 'timestamptz', nullable: true })
  redeemedAt: Date | null;
}
