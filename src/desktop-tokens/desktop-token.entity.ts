import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';
import type { TokenClient } from '../desktop-handoff/studio-clients.js';

/** Access tokens of the desktop Studios; only the SHA-256 of the token is kept. */
@Entity({ name: 'desktop_tokens' })
export class DesktopToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('desktop_tokens_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user: Relation<User>;

  /** `service-studio`, `integration-studio`, or `cli` (a command-line tool through the device flow). */
  @Column({ type: 'varchar', length: 32 })
  client: TokenClient;

  /** Unique: a second token for one handoff fails in the database even if the rules above it failed. */
  @Index('desktop_tokens_handoff_id_key', { unique: true })
  @Column({ name: 'handoff_id', type: 'uuid', nullable: true })
  handoffId: string | null;

  /** The refresh-token family this access token belongs to; ending the family ends the token. */
  @Index('desktop_tokens_family_id_idx')
  @Column({ name: 'family_id', type: 'uuid', nullable: true })
  familyId: string | null;

  @Index('desktop_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Written at most once a minute per token, so a busy Studio does not turn reads into writes. */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Index('desktop_tokens_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
