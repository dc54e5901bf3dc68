import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JWK } from 'jose';
import type { StoredPrivateKey } from './signing-key-seal.js';

/**
 * An ES256 key for forward-auth assertions. A key is published before it signs (`active_from` lies
 * ahead when it is made), and stays published after its successor takes over, so verifiers that
 * cache the JWKS never meet an unknown key id.
 */
@Entity({ name: 'assertion_signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  /** Sealed with ENCRYPTION_KEY (signing-key-seal.ts) whenever a key is set. */
  @Column({ name: 'private_jwk', type: 'jsonb' })
  privateJwk: StoredPrivateKey;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: JWK;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'active_from', type: 'timestamptz' })
  activeFrom: Date;

  @Index('assertion_signing_keys_published_until_idx')
  @Column({ name: 'published_until', type: 'timestamptz' })
  publishedUntil: Date;
}
