import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed, SigningKeySeal, SigningKeySealError } from './signing-key-seal.js';

const JWK = { kty: 'EC', crv: 'P-256', x: 'x-coordinate', y: 'y-coordinate', d: 'private-scalar', kid: 'k1', alg: 'ES256' };

describe('SigningKeySeal', () => {
  it('seals a private key so that the stored form shows none of it, and opens it again', () => {
    const seal = new SigningKeySeal(randomBytes(32));
    const stored = seal.seal(JWK, 'k1');
    expect(isSealed(stored)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain('private-scalar');
    expect(seal.open(stored, 'k1')).toEqual(JWK);
  });

  it('does not open a sealed key under another key id, or with another ENCRYPTION_KEY', () => {
    const key = randomBytes(32);
    const stored = new SigningKeySeal(key).seal(JWK, 'k1');
    expect(() => new SigningKeySeal(key).open(stored, 'k2')).toThrow(SigningKeySealError);
    expect(() => new SigningKeySeal(randomBytes(32)).open(stored, 'k1')).toThrow(/assertion signing key k1/);
  });

  it('without ENCRYPTION_KEY keeps keys as they are, and cannot read sealed ones', () => {
    const none = new SigningKeySeal(undefined);
    expect(none.available).toBe(false);
    expect(none.seal(JWK, 'k1')).toEqual(JWK);
    expect(none.open(JWK, 'k1')).toEqual(JWK);
    const sealed = new SigningKeySeal(randomBytes(32)).seal(JWK, 'k1');
    expect(() => none.open(sealed, 'k1')).toThrow(/ENCRYPTION_KEY is missing/);
  });
});
