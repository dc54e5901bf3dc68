import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn, type Relation } from 'typeorm';
import { LinkedIdentity } from './linked-identity.entity.js';

export const ROLES = ['admin', 'developer'] as const;
export type Role = (typeof ROLES)[number];

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Always stored lower-cased, so the unique index is case-insensitive. */
  @Index('users_email_key', { unique: true })
  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ name: 'display_name', type: 'varchar', length: 200 })
  displayName: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  roles: Role[];

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /**
   * When an admin last ended this user's sessions (Revoke, deactivation). A later sign-in must come
   * from an authentication at the provider after this moment; reactivation keeps it.
   */
  @Column({ name: 'sessions_revoked_at', type: 'timestamptz', nullable: true })
  sessionsRevokedAt: Date | null;

  /** Argon2id hash of the local break-glass password (admins only); never loaded unless asked for. */
  @Column({ name: 'break_glass_password_hash', type: 'varchar', length: 255, nullable: true, select: false })
  breakGlassPasswordHash?: string | null;

  /** The identity provider whose directory created this user (SCIM): only its identities may link at first login. */
  @Column({ name: 'provisioned_by', type: 'varchar', length: 64, nullable: true })
  provisionedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany(() => LinkedIdentity, (identity) => identity.user)
  identities: Relation<LinkedIdentity[]>;
}
