import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './break-glass-password.js';

describe('break-glass passwords', () => {
  it('refuses passwords under 12 characters', () => {
    expect(passwordProblem('eleven-char')).toMatch(/at least 12/);
    expect(passwordProblem('twelve-chars')).toBeUndefined();
  });

  it('hashes with Argon2id and verifies only the right password; no hash never verifies', async () => {
    const hash = await hashPassword('twelve-chars-and-more');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(await verifyPassword(hash, 'twelve-chars-and-more')).toBe(true);
    expect(await verifyPassword(hash, 'twelve-chars-and-less')).toBe(false);
    expect(await verifyPassword(null, 'twelve-chars-and-more')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
  });
});
