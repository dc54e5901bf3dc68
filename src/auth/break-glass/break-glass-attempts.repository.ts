import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Failures allowed before a key is locked. */
export const FAILURES_BEFORE_LOCK = 5;
const FIRST_LOCK_SECONDS = 30;
const LONGEST_LOCK_SECONDS = 3600;
/** A key's count starts over after this long without a failure. */
const FORGET_AFTER_SECONDS = 24 * 3600;

/** The lock after the n-th failure in a row: none before the 5th, then 30 s doubling each time, at most an hour. */
export function lockSeconds(failures: number): number {
  if (failures < FAILURES_BEFORE_LOCK) return 0;
  return Math.min(LONGEST_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FAILURES_BEFORE_LOCK));
}

/**
 * Failed break-glass sign-ins per key (an account or an address) in PostgreSQL, so every
 * instance of the service sees the same counts and locks.
 */
@Injectable()
export class BreakGlassAttemptsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Seconds until the longest lock among these keys ends; 0 when none is locked. */
  async lockedFor(keys: string[]): Promise<number> {
    const [row] = await this.db.query<Array<{ seconds: string | null }>>(
      `SELECT ceil(extract(epoch FROM max(locked_until) - now())) AS seconds FROM break_glass_attempts WHERE key = ANY($1) AND locked_until > now()`,
      [keys],
    );
    return Math.max(0, Number(row?.seconds ?? 0));
  }

  /**
   * Counts an attempt against each key before its password is checked, so that attempts sent all
   * at once cannot each slip under the limit; returns the count per key. A success gives it back.
   */
  async count(keys: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const key of keys) {
      const [row] = await this.db.query<Array<{ failures: number }>>(
        `INSERT INTO break_glass_attempts (key, failures, updated_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN break_glass_attempts.updated_at < now() - make_interval(secs => $2) THEN 1 ELSE break_glass_attempts.failures + 1 END,
           updated_at = now()
         RETURNING failures`,
        [key, FORGET_AFTER_SECONDS],
      );
      counts.set(key, row.failures);
    }
    return counts;
  }

  /** Locks every key whose count has reached the limit, for the delay its count calls for; returns the longest. */
  async lock(counts: Map<string, number>): Promise<number> {
    let longest = 0;
    for (const [key, failures] of counts) {
      const seconds = lockSeconds(failures);
      if (seconds === 0) continue;
      longest = Math.max(longest, seconds);
      await this.db.query(`UPDATE break_glass_attempts SET locked_until = now() + make_interval(secs => $2) WHERE key = $1`, [key, seconds]);
    }
    return longest;
  }

  /** Gives back the attempt counted against a key (a success from an address). */
  async uncount(key: string): Promise<void> {
    await this.db.query(`UPDATE break_glass_attempts SET failures = greatest(failures - 1, 0) WHERE key = $1`, [key]);
  }

  async clear(key: string): Promise<void> {
    await this.db.query(`DELETE FROM break_glass_attempts WHERE key = $1`, [key]);
  }
}
