import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JWK } from 'jose';
import type { StoredPrivateKey } from './signing-key-seal.js';

/**
 * What a key signs: forward-auth assertions (ES256, `/.well-known/jwks.json`) or this service's
 * client assertions toward identity providers (RS256, `/auth/client-jwks.json`). Each purpose
 * rotates on its own; they share the table, the seal and the rotation code.
 */
export type KeyPurpose = 'forward-auth' | 'client-assertion';

/**
 * A signing key of one purpose. A key is published before it signs (`active_from` lies ahead when
 * it is made), and stays published after its successor takes over, so verifiers that cache the
 * JWKS never meet an unknown key id.
 */
@Entity({ name: 'assertion_signing_keys' })
@Index('assertion_signing_keys_purpose_active_idx', ['purpose', 'activeFrom'])
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 32 })
  purpose: KeyPurpose;

  /** Sealed with ENCRYPTION_KEY (signing-key-seal.ts) whenever a key is set. */
  @Column({ name: 'private_jwk', type: 'jsonb' })
  privateJwk: StoredPrivateKey;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: JWK;

  /** A self-signed X.509 certificate of the public key, made once with the key, for providers that take an upload. */
  @Column({ name: 'certificate_pem', type: 'text', nullable: true })
  certificatePem: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'active_from', type: 'timestamptz' })
  activeFrom: Date;

  @Index('assertion_signing_keys_published_until_idx')
  @Column({ name: 'published_until', type: 'timestamptz' })
  publishedUntil: Date;
}
