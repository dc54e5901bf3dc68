import { describe, expect, it } from 'vitest';
import { lockSeconds } from './break-glass-attempts.repository.js';

describe('lockSeconds', () => {
  it('locks nothing before the fifth failure, then a delay that doubles up to an hour', () => {
    expect([1, 2, 3, 4].map(lockSeconds)).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8].map(lockSeconds)).toEqual([30, 60, 120, 240]);
    expect(lockSeconds(12)).toBe(3600);
    expect(lockSeconds(40)).toBe(3600);
  });
});
