import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A SCIM bearer token of one identity provider's directory; only its SHA-256 is kept. */
@Entity({ name: 'scim_tokens' })
export class ScimToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('scim_tokens_provider_id_idx')
  @Column({ name: 'provider_id', type: 'varchar', length: 64 })
  providerId: string;

  /** Names the directory in the audit trail ("Entra ID provisioning"). */
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Index('scim_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64, select: false })
  tokenHash: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
