import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Provisioning, RoleRule, RoleSource } from '../access/role-rules.js';
import type { ClientAuthMethod } from './client-auth.js';

export type MatchClaim = 'email' | 'preferred_username';

/** An identity provider added at runtime. The provider configured by OIDC_* is never a row. */
@Entity({ name: 'identity_providers' })
export class IdentityProviderRecord {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'display_name', type: 'varchar', length: 200 })
  displayName: string;

  @Column({ type: 'varchar', length: 2048 })
  issuer: string;

  @Column({ name: 'client_id', type: 'varchar', length: 512 })
  clientId: string;

  /** AES-256-GCM sealed with ENCRYPTION_KEY (see secret-box.ts); never the secret in clear. */
  @Column({ name: 'client_secret_encrypted', type: 'text', nullable: true })
  clientSecretEncrypted: string | null;

  /** How the service authenticates at the token endpoint (client-auth.ts); private_key_jwt keeps no secret. */
  @Column({ name: 'client_auth', type: 'varchar', length: 32 })
  clientAuth: ClientAuthMethod;

  @Column({ type: 'text', array: true })
  scopes: string[];

  @Column({ name: 'match_claim', type: 'varchar', length: 32 })
  matchClaim: MatchClaim;

  @Column({ name: 'email_domains', type: 'text', array: true })
  emailDomains: string[];

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** Trusted to assert the match claim without `email_verified: true` (a provider that never sends it). */
  @Column({ name: 'trust_email', type: 'boolean', default: false })
  trustEmail: boolean;

  @Column({ name: 'role_source', type: 'varchar', length: 16, default: 'platform' })
  roleSource: RoleSource;

  @Column({ name: 'role_rules', type: 'jsonb', default: () => "'[]'" })
  roleRules: RoleRule[];

  @Column({ type: 'varchar', length: 16, default: 'preregistered' })
  provisioning: Provisioning;

  /** Raised by every change; a callback compares it with its in-memory copy so it is never stale. */
  @Column({ type: 'integer' })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
