import { describe, expect, it } from 'vitest';
import { formatUserCode, newUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code.js';

describe('user codes', () => {
  it('are 8 characters of an alphabet without vowels or look-alikes', () => {
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
    for (let i = 0; i < 200; i++) expect(newUserCode()).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
  });

  it('are shown as XXXX-XXXX', () => {
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
  });

  it.each(['BCDF-GHJK', 'bcdf-ghjk', 'bcdfghjk', ' BCDF GHJK ', 'Bc-Df-Gh-Jk'])('ignores case, dashes and spaces in %j', (typed) => {
    expect(normalizeUserCode(typed)).toBe('BCDFGHJK');
  });

  it.each(['BCDF-GHJ', 'BCDF-GHJKL', 'BCDF-GHJA', 'BCDF-GHJ0', 'BCDF_GHJK', '', undefined, 42, 'B'.repeat(40)])('refuses %j without a lookup', (typed) => {
    expect(normalizeUserCode(typed)).toBeUndefined();
  });
});
