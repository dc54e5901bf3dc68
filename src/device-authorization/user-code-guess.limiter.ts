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

  /** Throws 429 (with the seconds to wait) when either count is used up. */
  async check(guesser: Guesser): Promise<void> {
    const [address, session] = await Promise.all([this.perAddress.get(guesser.ip), this.perSession.get(sessionKey(guesser))]);
    const blocked = [
      { res: address, points: this.perAddress.points },
      { res: session, points: this.perSession.points },
    ].filter(({ res, points }) => res !== null && res.consumedPoints >= points);
    if (blocked.length === 0) return;
    const retryAfter = Math.max(1, Math.ceil(Math.max(...blocked.map(({ res }) => res!.msBeforeNext)) / 1000));
    throw new TooManyGuessesException(retryAfter);
  }

  /** One wrong guess against both counts. */
  async failed(guesser: Guesser): Promise<void> {
    await Promise.all([swallowLimit(this.perAddress.consume(guesser.ip)), swallowLimit(this.perSession.consume(sessionKey(guesser)))]);
    // Both limiters share the table; one sweep of counts that ended over an hour ago does for both.
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

/** Consuming past the limit rejects with the counter's state: that is the count working, not an error. */
async function swallowLimit(consumed: Promise<RateLimiterRes>): Promise<void> {
  try {
    await consumed;
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
  }
}
