import { describe, expect, it } from 'vitest';
import { attemptKeys, LOCK_POLICIES, lockSeconds } from './break-glass-locks.js';

describe('lockSeconds', () => {
  it.each([
    ['account-address', [1, 2, 3, 4], [0, 0, 0, 0]],
    ['account-address', [5, 6, 7, 8, 12, 40, 5000], [30, 60, 120, 240, 3600, 3600, 3600]],
    ['address', [9, 10, 11], [0, 30, 60]],
    ['account', [29, 30, 31], [0, 30, 60]],
  ] as const)('%s after %o failures: %o seconds', (kind, failures, seconds) => {
    expect(failures.map((n) => lockSeconds(LOCK_POLICIES[kind], n))).toEqual(seconds);
  });

  it('gives the account a ceiling above what one address can reach in the account window', () => {
    const pair = LOCK_POLICIES['account-address'];
    const account = LOCK_POLICIES.account;
    // One address: its free failures, then one counted try each time its growing lock ends.
    let failures = pair.failuresBeforeLock;
    let elapsed = 0;
    while (elapsed + lockSeconds(pair, failures) <= account.windowSeconds) {
      elapsed += lockSeconds(pair, failures);
      failures += 1;
    }
    expect(failures).toBeLessThan(account.failuresBeforeLock);
    expect(account.failuresBeforeLock).toBeGreaterThan(LOCK_POLICIES.address.failuresBeforeLock);
  });
});

describe('attemptKeys', () => {
  it('counts an attempt per account and address, per address and per account', () => {
    expect(attemptKeys('root@example.com', '203.0.113.9').map((k) => k.key)).toEqual([
      'account-address:root@example.com 203.0.113.9',
      'address:203.0.113.9',
      'account:root@example.com',
    ]);
  });
});
