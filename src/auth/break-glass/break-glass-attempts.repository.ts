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

  /** Counts one failure for each key and locks those past the limit; one statement per key, safe under concurrency. */
  async recordFailure(keys: string[]): Promise<void> {
    for (const key of keys) {
      const [row] = await this.db.query<Array<{ failures: number }>>(
        `INSERT INTO break_glass_attempts (key, failures, updated_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN break_glass_attempts.updated_at < now() - make_interval(secs => $2) THEN 1 ELSE break_glass_attempts.failures + 1 END,
           updated_at = now()
         RETURNING failures`,
        [key, FORGET_AFTER_SECONDS],
      );
      const seconds = lockSeconds(row.failures);
      if (seconds > 0) await this.db.query(`UPDATE break_glass_attempts SET locked_until = now() + make_interval(secs => $2) WHERE key = $1`, [key, seconds]);
    }
  }

  async clear(key: string): Promise<void> {
    await this.db.query(`DELETE FROM break_glass_attempts WHERE key = $1`, [key]);
  }
}
