import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Console sessions: every instance of the service sees the same sessions. */
@Entity({ name: 'sessions' })
@Index('sessions_provider_sid_idx', ['providerId', 'providerSid'])
export class SessionRecord {
  /** The cookie's secret id: never shown, never logged. */
  @PrimaryColumn({ type: 'varchar', length: 128 })
  sid: string;

  /** The id admins see and revoke by; knowing it does not let anyone use the session. */
  @Index('sessions_id_key', { unique: true })
  @Column({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Index('sessions_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Set once signed in, so deactivating a user can end their sessions at once. */
  @Index('sessions_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt: Date;

  @Column({ name: 'provider_id', type: 'varchar', length: 40, nullable: true })
  providerId: string | null;

  /** The identity provider's session id, which back-channel logout names. */
  @Column({ name: 'provider_sid', type: 'varchar', length: 255, nullable: true })
  providerSid: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'break_glass', type: 'boolean', default: false })
  breakGlass: boolean;
}
