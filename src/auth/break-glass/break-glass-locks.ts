/**
 * How break-glass sign-in holds off password guessing, as pure rules. Attempts are counted per key:
 *
 * - `account-address`: one account from one address. The lock a guesser meets first, and nobody
 *   else shares it, so an attacker who knows an admin's email keeps only themselves out.
 * - `address`: one address across accounts, so spraying many names from one place is held off too.
 * - `account`: one account across addresses, with a ceiling well above what one address can reach
 *   in its window (5, then one try per lock: about 11 in the first hour), so only guessing from
 *   many addresses at once locks the account itself.
 *
 * A key locks when its count reaches `failuresBeforeLock`, for `firstLockSeconds`, doubling with
 * each further counted failure up to `longestLockSeconds`. A lock ends when its time ends; attempts
 * refused by it are not counted, and the next attempt after it is checked. Counts start over once
 * `windowSeconds` have passed since the first one.
 */
export type AttemptKeyKind = 'account-address' | 'address' | 'account';

export interface LockPolicy {
  failuresBeforeLock: number;
  firstLockSeconds: number;
  longestLockSeconds: number;
  windowSeconds: number;
}

const DAY = 24 * 3600;

export const LOCK_POLICIES: Record<AttemptKeyKind, LockPolicy> = {
  'account-address': { failuresBeforeLock: 5, firstLockSeconds: 30, longestLockSeconds: 3600, windowSeconds: DAY },
  address: { failuresBeforeLock: 10, firstLockSeconds: 30, longestLockSeconds: 3600, windowSeconds: DAY },
  account: { failuresBeforeLock: 30, firstLockSeconds: 30, longestLockSeconds: 3600, windowSeconds: 3600 },
};

/** The lock that the n-th counted failure in a window sets: none before the policy's limit, then doubling. */
export function lockSeconds(policy: LockPolicy, failures: number): number {
  if (failures < policy.failuresBeforeLock) return 0;
  return Math.min(policy.longestLockSeconds, policy.firstLockSeconds * 2 ** Math.min(failures - policy.failuresBeforeLock, 30));
}

export interface AttemptKey {
  key: string;
  policy: LockPolicy;
}

/** The keys one sign-in attempt counts against, the most specific first. */
export function attemptKeys(email: string, address: string): AttemptKey[] {
  return [
    { key: `account-address:${email} ${address}`, policy: LOCK_POLICIES['account-address'] },
    { key: `address:${address}`, policy: LOCK_POLICIES.address },
    { key: `account:${email}`, policy: LOCK_POLICIES.account },
  ];
}
