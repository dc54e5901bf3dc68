import { createHash } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const WINDOW_SECONDS = 15 * 60;
const TABLE = 'rate_limit_device_codes';

/** Who is guessing: the address and the browser session, each counted on its own. */
export interface Guesser {
  ip: string;
  sessionId: string;
}

/**
 * Counts wrong user codes per address and per session in PostgreSQL, so the limit holds across
 * instances: guessing a live 8-character code is hopeless only while guesses stay this few.
 */
@Injectable()
export class UserCodeGuessLimiter {
  private readonly perAddress: RateLimiterPostgres;
  private readonly perSession: RateLimiterPostgres;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    // No timer of the library's own: expired counts are removed as wrong guesses arrive (see `failed`).
    const common = { storeClient: dataSource, storeType: 'typeorm', tableName: TABLE, tableCreated: true, clearExpiredByTimeout: false, duration: WINDOW_SECONDS };
    this.perAddress = new RateLimiterPostgres({ ...common, keyPrefix: 'ip', points: config.device.guessLimitPerAddress });
    this.perSession = new RateLimiterPostgres({ ...common, keyPrefix: 'session', points: config.device.guessLimitPerSession });
  }

  /**
   * Counts one guess against both counts before the code is looked at, and throws 429 (with the
   * seconds to wait) when that goes past either limit. Consumed first, in one atomic upsert per count
   * (INSERT … ON CONFLICT … RETURNING), so guesses sent all at once cannot each pass a check that
   * runs before any of them is counted.
   */
  async consume(guesser: Guesser): Promise<void> {
    const counts = [
      { limiter: this.perAddress, key: guesser.ip },
      { limiter: this.perSession, key: sessionKey(guesser) },
    ];
    const counted = await Promise.allSettled(counts.map(({ limiter, key }) => limiter.consume(key)));
    const refused: RateLimiterRes[] = [];
    for (const outcome of counted) {
      if (outcome.status === 'fulfilled') continue;
      if (!(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
      refused.push(outcome.reason);
    }
    if (refused.length === 0) return;
    // A guess refused by one count was never checked: the other count gets it back. Giving back
    // after the fact never lets more guesses be checked than the limit, only fewer for a moment.
    await Promise.all(counts.filter((_, i) => counted[i].status === 'fulfilled').map(({ limiter, key }) => limiter.reward(key, 1)));
    const retryAfter = Math.max(1, Math.ceil(Math.max(...refused.map((res) => res.msBeforeNext)) / 1000));
    throw new TooManyGuessesException(retryAfter);
  }

  /** Gives back the guess `consume` counted: the code was right, so it was no guess. */
  async refund(guesser: Guesser): Promise<void> {
    await Promise.all([this.perAddress.reward(guesser.ip, 1), this.perSession.reward(sessionKey(guesser), 1)]);
  }

  /** Removes counts that ended over an hour ago (both limiters share the table); run on wrong guesses. */
  async sweep(): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${TABLE} WHERE expire < $1`, [Date.now() - 3600_000]);
  }
}

/** 429 with the seconds a person has to wait; the page controller copies them into Retry-After. */
export class TooManyGuessesException extends DomainException {
  constructor(readonly retryAfterSeconds: number) {
    super('too_many_attempts', HttpStatus.TOO_MANY_REQUESTS, 'Too many wrong codes were entered.', {
      title: 'Too many attempts',
      detail: `Wait ${Math.ceil(retryAfterSeconds / 60)} minute(s), then type the code your device shows again.`,
    });
  }
}

/** The session id itself never reaches the table: it is a bearer secret. */
function sessionKey(guesser: Guesser): string {
  return createHash('sha256').update(guesser.sessionId).digest('base64url');
}
