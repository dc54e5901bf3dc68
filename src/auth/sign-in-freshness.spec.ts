import { describe, expect, it } from 'vitest';
import { signInFreshness, type SignInFreshness } from './sign-in-freshness.js';

const REVOKED = new Date('2026-12-08T02:00:00.500Z');
const SECOND_OF_REVOCATION = Math.floor(REVOKED.getTime() / 1000);

describe('signInFreshness', () => {
  const cases: [string, { revokedAt: Date | null; authTime: unknown; askedAgain: boolean }, SignInFreshness][] = [
    ['never revoked', { revokedAt: null, authTime: undefined, askedAgain: false }, 'accept'],
    ['authenticated after the revocation', { revokedAt: REVOKED, authTime: SECOND_OF_REVOCATION + 5, askedAgain: false }, 'accept'],
    ['authenticated before the revocation', { revokedAt: REVOKED, authTime: SECOND_OF_REVOCATION - 60, askedAgain: false }, 'ask-again'],
    ['authenticated in the second of the revocation (auth_time has no fraction)', { revokedAt: REVOKED, authTime: SECOND_OF_REVOCATION, askedAgain: false }, 'accept'],
    ['authenticated the second before the revocation', { revokedAt: REVOKED, authTime: SECOND_OF_REVOCATION - 1, askedAgain: false }, 'ask-again'],
    ['no auth_time in an ordinary login', { revokedAt: REVOKED, authTime: undefined, askedAgain: false }, 'ask-again'],
    ['auth_time that is not a number', { revokedAt: REVOKED, authTime: '1765159200', askedAgain: false }, 'ask-again'],
    ['asked again, authenticated after', { revokedAt: REVOKED, authTime: SECOND_OF_REVOCATION + 1, askedAgain: true }, 'accept'],
    ['asked again, authenticated in the second of the revocation', { revokedAt: REVOKED, authTime: SECOND_OF_REVOCATION, askedAgain: true }, 'accept'],
    ['asked again, still the old authentication', { revokedAt: REVOKED, authTime: SECOND_OF_REVOCATION - 60, askedAgain: true }, 'refuse'],
    ['asked again, provider gave no auth_time', { revokedAt: REVOKED, authTime: undefined, askedAgain: true }, 'accept-undated'],
    ['auth_time 0 (Glewlwyd) in an ordinary login', { revokedAt: REVOKED, authTime: 0, askedAgain: false }, 'ask-again'],
    ['asked again, auth_time 0 (Glewlwyd)', { revokedAt: REVOKED, authTime: 0, askedAgain: true }, 'accept-undated'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(signInFreshness(input)).toBe(expected);
  });
});
