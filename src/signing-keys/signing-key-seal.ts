import type { JWK } from 'jose';
import { SecretBox } from '../common/secret-box.js';

/** A private key as its row keeps it: sealed with ENCRYPTION_KEY, or (without a key) the JWK itself. */
export type StoredPrivateKey = JWK | { sealed: string };

export class SigningKeySealError extends Error {}

/**
 * The private half of an assertion signing key at rest: AES-256-GCM with ENCRYPTION_KEY, bound to
 * the key's id, so a sealed key copied onto another row does not open. Without a key (production
 * without ENCRYPTION_KEY) keys are kept as they are, and the service says so at start.
 */
export class SigningKeySeal {
  private readonly box?: SecretBox;

  constructor(key: Buffer | undefined) {
    this.box = key ? new SecretBox(key) : undefined;
  }

  get available(): boolean {
    return this.box !== undefined;
  }

  seal(jwk: JWK, kid: string): StoredPrivateKey {
    return this.box ? { sealed: this.box.seal(JSON.stringify(jwk), context(kid)) } : jwk;
  }

  open(stored: StoredPrivateKey, kid: string): JWK {
    if (!isSealed(stored)) return stored;
    if (!this.box) throw new SigningKeySealError('ENCRYPTION_KEY is missing: the stored assertion signing keys cannot be read without it');
    try {
      return JSON.parse(this.box.open(stored.sealed, context(kid))) as JWK;
    } catch (error) {
      throw new SigningKeySealError(`assertion signing key ${kid}: ${(error as Error).message}`);
    }
  }
}

export function isSealed(stored: StoredPrivateKey): stored is { sealed: string } {
  return typeof (stored as { sealed?: unknown }).sealed === 'string';
}

function context(kid: string): string {
  return `assertion-signing-key:${kid}`;
}
