import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** Tables whose rows carry an `expires_at` and are of no use a day after it. */
export const PRUNED_TABLES = ['handoff_tickets', 'desktop_tokens', 'desktop_token_families'] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/** How long an expired row is kept (for support questions), and how many go per statement. */
const KEEP_AFTER_EXPIRY = '1 day';
const BATCH = 500;
/** At most this many batches per table per run, so one run never holds a connection for long. */
const MAX_BATCHES = 20;
const INTERVAL_MS = 60_000;
const FIRST_RUN_MS = 10_000;

/**
 * Deletes a bounded batch of rows that expired over a day ago; returns how many went. SKIP LOCKED:
 * instances pruning at once take different rows instead of waiting for each other.
 */
export async function pruneExpired(manager: EntityManager, table: PrunedTable): Promise<number> {
  const [, affected] = (await manager.query(
    `DELETE FROM ${table} WHERE id IN (
       SELECT id FROM ${table} WHERE expires_at < now() - interval '${KEEP_AFTER_EXPIRY}' LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
  )) as [unknown, number];
  return affected ?? 0;
}

/**
 * Removes expired handoffs, desktop tokens and refresh-token families once a minute in the background, instead of a DELETE
 * in every request that creates such a row: the rows are worthless once expired (every read checks
 * `expires_at`), so when they go only matters for the table's size.
 */
@Injectable()
export class ExpiredRowsPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpiredRowsPruner.name);
  private timer?: NodeJS.Timeout;
  private firstRun?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.firstRun = setTimeout(() => void this.run(), FIRST_RUN_MS);
    this.firstRun.unref();
    this.timer = setInterval(() => void this.run(), INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.firstRun);
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every table; a run still going when the next is due is not doubled. */
  run(): Promise<number> {
    this.running ??= this.pruneAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pruneAll(): Promise<number> {
    let total = 0;
    try {
      for (const table of PRUNED_TABLES) {
        for (let batch = 0; batch < MAX_BATCHES; batch++) {
          const removed = await pruneExpired(this.dataSource.manager, table);
          total += removed;
          if (removed < BATCH) break;
        }
      }
    } catch (error) {
      this.logger.warn(`expired rows not pruned: ${(error as Error).message}`);
    }
    return total;
  }
}
