import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { lockSeconds, type AttemptKey } from './break-glass-locks.js';

/** An attempt counted against a key; `setLock` when counting it locked the key. */
export interface TakenAttempt {
  key: string;
  setLock: boolean;
}

/** Rows whose window ended this long ago, and that hold no lock, are of no use. */
const KEEP_SECONDS = 2 * 24 * 3600;

/**
 * Break-glass attempts per key (see break-glass-locks.ts) in PostgreSQL, so every instance of the
 * service sees the same counts and locks.
 */
@Injectable()
export class BreakGlassAttemptsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Counts an attempt against every key before its password is checked, or none when any key is
   * locked (then undefined). Each key is counted by one statement that also sets the lock its new
   * count calls for, and only while the key is not locked: attempts sent all at once cannot each
   * slip under the limit, and attempts refused by a lock neither count nor renew it.
   */
  async take(keys: AttemptKey[]): Promise<TakenAttempt[] | undefined> {
    const taken: TakenAttempt[] = [];
    for (const { key, policy } of keys) {
      const attempt = await this.takeOne(key, policy);
      if (!attempt) {
        await this.giveBack(taken);
        return undefined;
      }
      taken.push(attempt);
    }
    return taken;
  }

  private async takeOne(key: string, policy: AttemptKey['policy']): Promise<TakenAttempt | undefined> {
    // The lock after the n-th failure is the n-th element (1-based); past the list, the longest.
    const locks = Array.from({ length: policy.failuresBeforeLock + 16 }, (_, i) => lockSeconds(policy, i + 1));
    const counted = `(CASE WHEN a.counted_since <= now() - make_interval(secs => $2) THEN 1 ELSE a.failures + 1 END)`;
    const lockFor = (failures: string) =>
      `CASE WHEN ${failures} >= $3 THEN now() + make_interval(secs => coalesce(($4::int[])[${failures}], $5)) ELSE NULL END`;
    const rows = await this.db.query<Array<{ locked: boolean }>>(
      `INSERT INTO break_glass_attempts AS a (key, failures, locked_until, updated_at, counted_since)
       VALUES ($1, 1, ${lockFor('1')}, now(), now())
       ON CONFLICT (key) DO UPDATE SET
         failures = ${counted},
         locked_until = ${lockFor(counted)},
         counted_since = CASE WHEN a.counted_since <= now() - make_interval(secs => $2) THEN now() ELSE a.counted_since END,
         updated_at = now()
       WHERE a.locked_until IS NULL OR a.locked_until <= now()
       RETURNING a.locked_until IS NOT NULL AS locked`,
      [key, policy.windowSeconds, policy.failuresBeforeLock, locks, policy.longestLockSeconds],
    );
    return rows.length === 0 ? undefined : { key, setLock: rows[0].locked };
  }

  /** Gives attempts back (the password was right, or another key refused it), lifting a lock they set. */
  async giveBack(attempts: TakenAttempt[]): Promise<void> {
    for (const { key, setLock } of attempts) {
      await this.db.query(`UPDATE break_glass_attempts SET failures = greatest(failures - 1, 0), locked_until = CASE WHEN $2 THEN NULL ELSE locked_until END WHERE key = $1`, [key, setLock]);
    }
  }

  /** Seconds until the longest lock among these keys ends; 0 when none is locked. */
  async lockedFor(keys: string[]): Promise<number> {
    const [row] = await this.db.query<Array<{ seconds: string | null }>>(
      `SELECT ceil(extract(epoch FROM max(locked_until) - now())) AS seconds FROM break_glass_attempts WHERE key = ANY($1) AND locked_until > now()`,
      [keys],
    );
    return Math.max(0, Number(row?.seconds ?? 0));
  }

  async clear(key: string): Promise<void> {
    await this.db.query(`DELETE FROM break_glass_attempts WHERE key = $1`, [key]);
  }

  /** Removes counts whose window ended long ago and that hold no lock (run after a wrong password). */
  async prune(): Promise<void> {
    await this.db.query(`DELETE FROM break_glass_attempts WHERE counted_since < now() - make_interval(secs => $1) AND (locked_until IS NULL OR locked_until < now())`, [KEEP_SECONDS]);
  }
}
