import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { TtlCache } from './ttl-cache.js';

/** The channel the database triggers announce on (migration 1765000100000). */
export const REVOCATION_CHANNEL = 'frontdoor_revocations';

/** What changed: a session (SHA-256 of its id), a user (id) or a desktop token (SHA-256 of the token). */
export type RevocationKind = 's' | 'u' | 't';

const RECONNECT_MS = 1_000;
/** How long a revocation waits for its echo before answering anyway (the safety TTL still bounds the rest). */
const BARRIER_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The one place through which every instance hears that a session ended, a user changed or a
 * desktop token was revoked. Database triggers announce each such change at commit, whichever code
 * path made it (logout, deactivation, admin revoke, back-channel logout, refresh-token reuse, a
 * script), so a path added later needs nothing more than to change the rows.
 *
 * Caches may serve entries only while `listening`: when the connection drops, everything cached is
 * thrown away and nothing is cached until it is back, because a revocation could pass unheard.
 * `generation` moves on every announcement, so a lookup that started before one is not cached after it.
 */
@Injectable()
export class RevocationListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationListener.name);
  private readonly handlers = new Map<RevocationKind, Array<(key: string) => void>>();
  private readonly resetHandlers: Array<() => void> = [];
  private client?: pg.Client;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  private counter = 0;
  private readonly barriers = new Map<string, () => void>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get listening(): boolean {
    return this.client !== undefined;
  }

  /** A mark to take before a database read whose result is to be cached. */
  snapshot(): number | undefined {
    return this.listening ? this.counter : undefined;
  }

  /** True when nothing was announced (nor the connection lost) since `mark` was taken. */
  unchanged(mark: number | undefined): boolean {
    return mark !== undefined && this.listening && this.counter === mark;
  }

  on(kind: RevocationKind, handler: (key: string) => void): void {
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), handler]);
  }

  /** Called when every cached entry must go (connection lost or regained). */
  onReset(handler: () => void): void {
    this.resetHandlers.push(handler);
  }

  /** A cache whose entries of `kind` go when announced, and all of them when the connection is lost. */
  cache<V>(kind: RevocationKind, ttlMs: number, maxEntries: number): TtlCache<V> {
    const cache = new TtlCache<V>(ttlMs, maxEntries);
    this.on(kind, (key) => cache.delete(key));
    this.onReset(() => cache.clear());
    return cache;
  }

  /**
   * Applies a change on this instance at once, without waiting for the database's announcement
   * (which follows anyway): the caller's own next request must already see it.
   */
  announce(kind: RevocationKind, key: string): void {
    this.counter += 1;
    for (const handler of this.handlers.get(kind) ?? []) handler(key);
  }

  /** Like `announce`, for changes without a single key (all sessions of a user). */
  resetAll(): void {
    this.counter += 1;
    for (const handler of this.resetHandlers) handler();
  }

  /**
   * Waits until this instance has heard, through the database, everything announced before the call.
   * Called after a revocation commits: PostgreSQL delivers notifications to every listener in commit
   * order, so the others are then as far as this one, and the revoking request answers only after.
   */
  async barrier(): Promise<void> {
    if (!this.listening) return;
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<void>((resolve) => {
      this.barriers.set(id, resolve);
      timer = setTimeout(() => {
        this.logger.warn('a revocation was not echoed within 5 seconds; other instances may serve it until their cache entries expire');
        resolve();
      }, BARRIER_TIMEOUT_MS);
      timer.unref();
    });
    try {
      await this.dataSource.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, `x:${id}`]);
      await heard;
    } finally {
      clearTimeout(timer);
      this.barriers.delete(id);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const url = (this.dataSource.options as { url?: string }).url;
    if (!url) {
      this.logger.warn('no database URL to listen on: sessions, users and desktop tokens are read from the database on every request');
      return;
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: 'frontdoor-revocations' });
    client.on('notification', (message) => {
      if (message.channel !== REVOCATION_CHANNEL || !message.payload || message.payload[1] !== ':') return;
      if (message.payload[0] === 'x') return void this.barriers.get(message.payload.slice(2))?.();
      this.announce(message.payload[0] as RevocationKind, message.payload.slice(2));
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query({ text: `LISTEN ${REVOCATION_CHANNEL}`, query_timeout: CONNECT_TIMEOUT_MS } as pg.QueryConfig);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.lost(client, error as Error);
      return;
    }
    if (this.stopped) return void (await client.end().catch(() => undefined));
    this.resetAll();
    this.client = client;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client === client) this.client = undefined;
    this.resetAll();
    if (this.stopped || this.retry) return;
    this.logger.warn(`revocation announcements unavailable${error ? ` (${error.message})` : ''}; caches off until they are back`);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.client && !this.stopped) void this.connect();
    }, RECONNECT_MS);
    this.retry.unref();
  }
}
