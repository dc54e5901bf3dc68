import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';
import type { StudioClient } from './studio-clients.js';

/** What is stored; `expired` is never stored but derived from `expires_at` when read. */
export type StoredHandoffStatus = 'pending' | 'authenticated' | 'redeemed' | 'denied';
export type HandoffStatus = StoredHandoffStatus | 'expired';
export type HandoffDeniedReason = 'cancelled' | 'not_registered' | 'login_refused' | 'too_many_attempts';

/**
 * One Studio login handed to the browser. Only the SHA-256 of the one-time code is kept, and only
 * the PKCE challenge: the code alone is useless to whoever did not start the handoff.
 */
@Entity({ name: 'handoff_tickets' })
export class HandoffTicket {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 32 })
  client: StudioClient;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 512 })
  redirectUri: string;

  @Column({ name: 'code_challenge', type: 'char', length: 43 })
  codeChallenge: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: StoredHandoffStatus;

  /** Set with status `denied`: why, so the Studio can stop at once and say it. */
  @Column({ name: 'denied_reason', type: 'varchar', length: 32, nullable: true })
  deniedReason: HandoffDeniedReason | null;

  /** Bound when the browser's signed-in user first sees the page; never rebound to someone else. */
  @Index('handoff_tickets_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'user_id' })
  user: Relation<User> | null;

  @Column({ name: 'code_hash', type: 'char', length: 64, nullable: true })
  codeHash: string | null;

  @Column({ name: 'code_expires_at', type: 'timestamptz', nullable: true })
  codeExpiresAt: Date | null;

  @Index('handoff_tickets_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'authenticated_at', type: 'timestamptz', nullable: true })
  authenticatedAt: Date | null;

  @Column({ name: 'redeemed_at', type: 'timestamptz', nullable: true })
  redeemedAt: Date | null;

  /** The identity provider the browser signed in through (for the desktop tokens' refresh rule). */
  @Column({ name: 'provider_id', type: 'varchar', length: 40, nullable: true })
  providerId: string | null;
}
