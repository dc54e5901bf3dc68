import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * The SCIM side of a platform user that a provider's directory created: what the directory sent
 * that the users table does not hold (externalId, name, emails, extension attributes). The user's
 * email, display name and active flag live on the user, which only the users service changes.
 */
@Entity({ name: 'scim_users' })
@Index('scim_users_external_id_idx', ['providerId', 'externalId'])
export class ScimUserRecord {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'provider_id', type: 'varchar', length: 64 })
  providerId: string;

  /** As the directory sent it; found in any case (index on lower(user_name)), as RFC 7643 §4.1.1 has it. */
  @Column({ name: 'user_name', type: 'varchar', length: 320 })
  userName: string;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId: string | null;

  /** Every emails[].value, lower-cased, for `emails.value eq` filters. */
  @Index('scim_users_emails_idx')
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  emails: string[];

  /** The resource's other attributes as last written by the directory (no id, meta, active, userName). */
  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  attributes: Record<string, unknown>;

  /** Deleted through SCIM: the user stays (deactivated) for the audit trail, the resource is gone (404). */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
