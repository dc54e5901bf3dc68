import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** express-session rows: every instance of the service sees the same sessions. */
@Entity({ name: 'sessions' })
export class SessionRecord {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  sid: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Index('sessions_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Set once signed in, so deactivating a user can end their sessions at once. */
  @Index('sessions_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;
}
