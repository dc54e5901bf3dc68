import { timingSafeEqual } from 'node:crypto';
import { s256 } from '../common/secrets.js';

/** RFC 7636 4.2: BASE64URL(SHA256(verifier)) of a 32-octet-or-longer verifier is always 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7636 4.1: 43 to 128 unreserved characters. */
export const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isS256Challenge(method: unknown, challenge: unknown): boolean {
  return method === 'S256' && typeof challenge === 'string' && S256_CHALLENGE.test(challenge);
}

/** Compared in constant time so that response timing says nothing about how much of a guess matched. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!CODE_VERIFIER.test(verifier)) return false;
  const computed = Buffer.from(s256(verifier));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
