import { createHash } from 'node:crypto';
import session from 'express-session';
import type { Repository } from 'typeorm';
import type { RevocationListener } from './revocation-listener.js';
import { SessionRecord } from './session.entity.js';
import { TtlCache } from './ttl-cache.js';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/** Writes that only push the idle expiry forward by less than this are skipped. */
const TOUCH_GRANULARITY_MS = 60_000;
const MAX_CACHED_SESSIONS = 10_000;

interface CachedSession {
  /** The row's data as JSON: express-session changes the object it is given, so each hit parses a fresh one. */
  json: string;
  expiresAt: number;
  userId: string | null;
}

export interface SessionCacheOptions {
  listener: RevocationListener;
  ttlMs: number;
}

/** The key sessions are cached and announced under: the SHA-256 of its id, which the database triggers send, never the id itself. */
export function sessionKey(sid: string): string {
  return createHash('sha256').update(sid).digest('hex');
}

/**
 * express-session store on the `sessions` table. The expiry kept is the sooner of the cookie's
 * idle expiry and the absolute lifetime, so an expired row is never served even if not yet deleted.
 *
 * Rows read are kept in memory for a few seconds (`cache`), which spares the guarded request its
 * query. Every instance drops an entry as soon as the database announces that its row changed or
 * went (see RevocationListener), so ending a session still takes effect on the next request anywhere.
 */
export class TypeOrmSessionStore extends session.Store {
  private readonly cached: TtlCache<CachedSession>;

  constructor(
    private readonly repository: Repository<SessionRecord>,
    private readonly absoluteTimeoutMs: number,
    private readonly cache?: SessionCacheOptions,
  ) {
    super();
    // Without a listener nothing could tell this instance that a row went: nothing is kept then.
    this.cached = cache ? cache.listener.cache('s', cache.ttlMs, MAX_CACHED_SESSIONS) : new TtlCache(0, MAX_CACHED_SESSIONS);
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    const key = sessionKey(sid);
    const hit = this.cached.get(key);
    if (hit && hit.expiresAt > Date.now()) return callback(undefined, this.revive(hit.json, hit.expiresAt));
    const mark = this.cache?.listener.snapshot();
    this.repository
      .createQueryBuilder('s')
      .select(['s.data', 's.expiresAt', 's.userId'])
      .where('s.sid = :sid AND s.expires_at > now()', { sid })
      .getOne()
      .then((row) => {
        if (!row) return callback(undefined, null);
        const json = JSON.stringify(row.data);
        // Cached only if nothing was announced meanwhile: the row may have been deleted after it was read.
        if (this.cache?.listener.unchanged(mark)) this.cached.set(key, { json, expiresAt: row.expiresAt.getTime(), userId: row.userId });
        callback(undefined, this.revive(json, row.expiresAt.getTime()));
      }, callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.repository
      .upsert(
        {
          sid,
          data: data as never,
          expiresAt: this.expiry(data),
          userId: data.userId ?? null,
          lastSeenAt: new Date(),
          providerId: data.providerId ?? null,
          providerSid: data.providerSid?.slice(0, 255) ?? null,
          ip: data.ip ?? null,
          userAgent: data.userAgent ?? null,
          breakGlass: data.breakGlass ?? false,
        },
        ['sid'],
      )
      .then(
        () => {
          this.cache?.listener.announce('s', sessionKey(sid));
          callback?.();
        },
        (error) => callback?.(error),
      );
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const expiresAt = this.expiry(data);
    if (data.storedExpiresAt !== undefined && expiresAt.getTime() - data.storedExpiresAt < TOUCH_GRANULARITY_MS) return void callback?.();
    this.repository
      .createQueryBuilder()
      .update(SessionRecord)
      .set({ expiresAt, lastSeenAt: () => 'now()' })
      .where('sid = :sid AND expires_at < :threshold', { sid, threshold: new Date(expiresAt.getTime() - TOUCH_GRANULARITY_MS) })
      .execute()
      .then(
        () => {
          // The row's data did not change, so the cached copy stays; only its expiry moves on.
          const hit = this.cached.get(sessionKey(sid));
          if (hit) hit.expiresAt = Math.max(hit.expiresAt, expiresAt.getTime());
          callback?.();
        },
        (error) => callback?.(error),
      );
  }

  /**
   * Every way a session ends goes through here or the `destroy…` methods below: the rows go, this
   * instance forgets them at once, the database trigger tells the other instances, and the call
   * returns once the announcement has gone round (RevocationListener.barrier).
   */
  override destroy(sid: string, callback?: Callback): void {
    this.deleteSessions('sid = :sid', { sid }).then(
      (ended) => {
        // Gone already (another instance ended it and its announcement is on the way): forget it here too.
        if (ended.length === 0) this.cache?.listener.announce('s', sessionKey(sid));
        callback?.();
      },
      (error) => callback?.(error),
    );
  }

  /** Ends every session of a user at once (deactivation, admin "end all"). */
  async destroyForUser(userId: string): Promise<number> {
    return (await this.deleteSessions('user_id = :userId', { userId })).length;
  }

  /** Ends one session by its public id; the user id, when given, must match. */
  async destroyById(id: string, userId?: string): Promise<{ userId: string | null } | undefined> {
    const [ended] = await this.deleteSessions(userId ? 'id = :id AND user_id = :userId' : 'id = :id', userId ? { id, userId } : { id });
    return ended ? { userId: ended.userId } : undefined;
  }

  /** Back-channel logout by the provider's session id. Returns the users whose sessions ended. */
  async destroyByProviderSid(providerId: string, providerSid: string): Promise<string[]> {
    return usersOf(await this.deleteSessions('provider_id = :providerId AND provider_sid = :providerSid', { providerId, providerSid }));
  }

  /** Back-channel logout by subject alone: every session the user has through that provider. */
  async destroyForUserAndProvider(userId: string, providerId: string): Promise<string[]> {
    return usersOf(await this.deleteSessions('user_id = :userId AND provider_id = :providerId', { userId, providerId }));
  }

  /** A user's signed-in sessions, newest first; the cookie id is never selected. */
  listForUser(userId: string): Promise<SessionRecord[]> {
    return this.repository
      .createQueryBuilder('s')
      .select(['s.id', 's.createdAt', 's.lastSeenAt', 's.expiresAt', 's.ip', 's.userAgent', 's.providerId', 's.breakGlass'])
      .where('s.user_id = :userId AND s.expires_at > now()', { userId })
      .orderBy('s.created_at', 'DESC')
      .limit(500)
      .getMany();
  }

  private async deleteSessions(where: string, params: Record<string, string>): Promise<Array<{ sid: string; userId: string | null }>> {
    const result = await this.repository.createQueryBuilder().delete().where(where, params).returning('sid, user_id').execute();
    const ended = (result.raw as Array<{ sid: string; user_id: string | null }>).map((row) => ({ sid: row.sid, userId: row.user_id }));
    for (const { sid } of ended) this.cache?.listener.announce('s', sessionKey(sid));
    if (ended.length > 0) await this.cache?.listener.barrier();
    return ended;
  }

  async deleteExpired(): Promise<number> {
    const result = await this.repository.createQueryBuilder().delete().where('expires_at <= now()').execute();
    return result.affected ?? 0;
  }

  /**
   * Whether using this signed-in session now should push its idle expiry forward: only when that
   * moves the stored expiry by a minute or more, so the cookie and the row are rewritten about once a
   * minute per active session instead of on every request.
   */
  dueForIdleRefresh(data: Partial<session.SessionData>, idleTimeoutMs: number): boolean {
    if (!data.userId || data.storedExpiresAt === undefined) return false;
    const absolute = data.authenticatedAt ? data.authenticatedAt + this.absoluteTimeoutMs : Infinity;
    return Math.min(Date.now() + idleTimeoutMs, absolute) - data.storedExpiresAt >= TOUCH_GRANULARITY_MS;
  }

  private revive(json: string, expiresAt: number): session.SessionData {
    const data = JSON.parse(json) as session.SessionData;
    // Carried on the loaded session so that touch() can skip an UPDATE that would change little.
    data.storedExpiresAt = expiresAt;
    return data;
  }

  private expiry(data: session.SessionData): Date {
    const idle = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : Date.now() + 24 * 3600 * 1000;
    const absolute = data.authenticatedAt ? data.authenticatedAt + this.absoluteTimeoutMs : Infinity;
    // A break-glass session carries its own, shorter end.
    return new Date(Math.min(idle, absolute, data.endsAt ?? Infinity));
  }
}

function usersOf(ended: Array<{ userId: string | null }>): string[] {
  return [...new Set(ended.map((row) => row.userId).filter((id): id is string => !!id))];
}
