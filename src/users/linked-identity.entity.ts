import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from './user.entity.js';

/** An account at an identity provider, bound to one platform user by (provider, issuer, subject). */
@Entity({ name: 'linked_identities' })
@Index('linked_identities_subject_key', ['providerId', 'issuer', 'subject'], { unique: true })
// One subject per user and provider: a second subject showing the same email cannot take the user over.
@Index('linked_identities_user_provider_key', ['userId', 'providerId', 'issuer'], { unique: true })
export class LinkedIdentity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, (user) => user.identities, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user: Relation<User>;

  @Column({ name: 'provider_id', type: 'varchar', length: 64 })
  providerId: string;

  @Column({ type: 'varchar', length: 512 })
  issuer: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  @CreateDateColumn({ name: 'linked_at', type: 'timestamptz' })
  linkedAt: Date;

  /** The claims of this identity's last login (protocol claims left out): what role rules read. */
  @Column({ type: 'jsonb', nullable: true })
  claims: Record<string, unknown> | null;

  @Column({ name: 'claims_at', type: 'timestamptz', nullable: true })
  claimsAt: Date | null;
}
