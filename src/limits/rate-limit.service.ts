import { HttpStatus, Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { databaseFailure } from '../database/database-errors.js';
import { bucketDefinitions, type BucketDefinition, type RateLimitBucket } from './rate-limit.buckets.js';

/** The table every bucket shares (created by a migration, so no instance creates it at run time). */
const TABLE = 'rate_limits';
const CLEANUP_INTERVAL_MS = 5 * 60 * 1000;

/** Where a key stands in its bucket after a consume that was allowed. */
export interface RateLimitState {
  remaining: number;
  resetInSeconds: number;
}

/**
 * Named rate limits kept in PostgreSQL (rate-limiter-flexible's store), so every instance on the
 * database counts together. `consume(bucket, key)` counts one and throws a 429 DomainException
 * (with Retry-After) past the bucket's points; `reset` forgets a key (after a success).
 */
@Injectable()
export class RateLimitService implements OnApplicationShutdown {
  private readonly logger = new Logger(RateLimitService.name);
  private readonly limiters = new Map<RateLimitBucket, { limiter: RateLimiterPostgres; definition: BucketDefinition }>();
  private readonly cleanup?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    if (!config.rateLimits.enabled) return;
    // TypeORM's own pg pool: the same connection and statement bounds as every other query.
    const pool = (dataSource.driver as unknown as { master: unknown }).master;
    const definitions = bucketDefinitions(config.rateLimits, config.desktop.handoffTtlSeconds);
    for (const [bucket, definition] of Object.entries(definitions) as [RateLimitBucket, BucketDefinition][]) {
      const limiter = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: bucket,
        points: definition.points,
        duration: definition.durationSeconds,
        blockDuration: definition.blockSeconds ?? 0,
      });
      this.limiters.set(bucket, { limiter, definition });
    }
    this.cleanup = setInterval(() => void this.deleteExpired(), CLEANUP_INTERVAL_MS);
    this.cleanup.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.cleanup);
  }

  /** Counts `points` for `key` in `bucket`; throws 429 when the bucket is exhausted. */
  async consume(bucket: RateLimitBucket, key: string, points = 1): Promise<RateLimitState | undefined> {
    const entry = this.limiters.get(bucket);
    if (!entry) return undefined;
    try {
      const result = await entry.limiter.consume(key, points);
      return { remaining: result.remainingPoints, resetInSeconds: Math.ceil(result.msBeforeNext / 1000) };
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) throw databaseFailure(outcome) ?? outcome;
      const retryAfterSeconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
      throw new DomainException('rate_limited', HttpStatus.TOO_MANY_REQUESTS, `Too many ${entry.definition.describes}. Try again in ${retryAfterSeconds} seconds.`, {
        title: 'Too many requests',
        detail: 'Wait a moment, then try again.',
        logDetail: `rate limit ${bucket} exceeded`,
        retryAfterSeconds,
      });
    }
  }

  /** Forgets the count of `key` (after a success, so honest mistakes before it do not add up). */
  async reset(bucket: RateLimitBucket, key: string): Promise<void> {
    await this.limiters.get(bucket)?.limiter.delete(key);
  }

  private async deleteExpired(): Promise<void> {
    try {
      await this.dataSource.query(`DELETE FROM ${TABLE} WHERE expire < $1`, [Date.now()]);
    } catch (error) {
      this.logger.warn(`expired rate-limit counters not removed: ${(error as Error).message}`);
    }
  }
}
