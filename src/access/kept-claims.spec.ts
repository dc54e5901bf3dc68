import { describe, expect, it } from 'vitest';
import { canonical, keptClaims } from './kept-claims.js';

describe('kept claims', () => {
  const provider = { matchClaim: 'email' as const, access: { trustEmail: false, roleSource: 'provider' as const, roleRules: [{ claim: 'realm_access.roles', value: 'x', role: 'admin' as const }], provisioning: 'preregistered' as const } };

  it('leaves out protocol claims and keeps the rest', () => {
    expect(keptClaims({ iss: 'i', aud: 'a', exp: 1, iat: 1, nonce: 'n', sid: 's', auth_time: 1, updated_at: 2, sub: 'u', email: 'e', groups: ['g'] }, provider)).toEqual({ sub: 'u', email: 'e', groups: ['g'] });
  });

  it('keeps only what the rules and the match read from a token past 16 kB', () => {
    const big = { sub: 'u', email: 'e', realm_access: { roles: ['x'] }, blob: 'x'.repeat(20_000) };
    expect(keptClaims(big, provider)).toEqual({ sub: 'u', email: 'e', realm_access: { roles: ['x'] } });
  });

  it('compares claim sets whatever the order of their keys (jsonb reorders them)', () => {
    expect(canonical({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: 2 } })).toBe(canonical({ a: { c: 2, d: [1, { x: 2, y: 1 }] }, b: 1 }));
    expect(canonical({ a: [1, 2] })).not.toBe(canonical({ a: [2, 1] }));
  });
});
