import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { s256 } from '../common/secrets.js';
import { isS256Challenge, verifierMatches } from './pkce.js';

// RFC 7636 appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE S256', () => {
  it('computes the RFC 7636 example', () => {
    expect(s256(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
  });

  it('accepts only S256 with a 43-character base64url challenge', () => {
    expect(isS256Challenge('S256', RFC_CHALLENGE)).toBe(true);
    expect(isS256Challenge('S256', createHash('sha256').update(randomBytes(32)).digest('base64url'))).toBe(true);
    for (const method of ['plain', 's256', '', undefined, 'S512']) expect(isS256Challenge(method, RFC_CHALLENGE)).toBe(false);
    for (const challenge of [
      RFC_VERIFIER.slice(0, 42),
      `${RFC_CHALLENGE}A`,
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM',
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=',
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSs w-cM',
      '',
      42,
      null,
    ]) {
      expect(isS256Challenge('S256', challenge)).toBe(false);
    }
  });

  it('matches a verifier against its challenge only', () => {
    expect(verifierMatches(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
    expect(verifierMatches(`${RFC_VERIFIER}x`, RFC_CHALLENGE)).toBe(false);
    expect(verifierMatches(RFC_CHALLENGE, RFC_CHALLENGE)).toBe(false);
    expect(verifierMatches('short', s256('short'))).toBe(false);
    expect(verifierMatches(RFC_VERIFIER, 'not-a-challenge')).toBe(false);
  });
});
