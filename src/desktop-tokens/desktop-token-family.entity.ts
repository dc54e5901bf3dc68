import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { TokenClient } from '../desktop-handoff/studio-clients.js';

/**
 * One sign-in of a Studio and every token pair refreshed from it (RFC 9700 §4.14). Deleting the
 * family deletes its access and refresh tokens (ON DELETE CASCADE): that is how reuse ends it.
 */
@Entity({ name: 'desktop_token_families' })
export class DesktopTokenFamily {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('desktop_token_families_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 32 })
  client: TokenClient;

  /** The identity provider the user signed in through; refresh stops when it is no longer enabled. */
  @Column({ name: 'provider_id', type: 'varchar', length: 40, nullable: true })
  providerId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Slides forward at each refresh. */
  @Index('desktop_token_families_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
