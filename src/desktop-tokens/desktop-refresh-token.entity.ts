import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A refresh token, kept (as SHA-256) after use so that a second presentation is recognised as reuse. */
@Entity({ name: 'desktop_refresh_tokens' })
export class DesktopRefreshToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('desktop_refresh_tokens_family_id_idx')
  @Column({ name: 'family_id', type: 'uuid' })
  familyId: string;

  @Index('desktop_refresh_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
