import type { Repository } from 'typeorm';
import type { SessionData } from './console-session.js';
import type { RevocationListener } from './revocation-listener.js';
import { sessionKey } from './session-cookie.js';
import { SessionRecord } from './session.entity.js';
import { RevocableCache } from './revocable-cache.js';

/** Writes that only push the idle expiry forward by less than this are skipped. */
const TOUCH_GRANULARITY_MS = 60_000;
const MAX_CACHED_SESSIONS = 10_000;

/** A stored session as loaded: its data (shared between requests: never changed) and its row's expiry. */
export interface LoadedSession {
  readonly data: Readonly<SessionData>;
  expiresAt: number;
}

export interface SessionCacheOptions {
  listener: RevocationListener;
  ttlMs: number;
}

/**
 * Console sessions in the `sessions` table. The expiry kept is the sooner of the idle expiry and the
 * absolute lifetime (or a break-glass session's own end), so an expired row is never served even if
 * not yet deleted.
 *
 * Rows read are kept in memory for a few seconds (`cache`, a RevocableCache), which spares the
 * guarded request its query. Every instance drops an entry as soon as the database announces that its
 * row changed or went (see RevocationListener), so ending a session still takes effect on the next
 * request anywhere.
 */
export class SessionStore {
  /** Without a listener nothing could tell this instance that a row went: nothing is kept then. */
  private readonly cached?: RevocableCache<LoadedSession>;

  constructor(
    private readonly repository: Repository<SessionRecord>,
    private readonly idleTimeoutMs: number,
    private readonly absoluteTimeoutMs: number,
    private readonly cache?: SessionCacheOptions,
  ) {
    if (cache) this.cached = new RevocableCache(cache.listener, 's', cache.ttlMs, MAX_CACHED_SESSIONS);
  }

  /** The session cached under `key` (the sessionKey of `sid`) if it is there and unexpired: no query, no promise. */
  cachedSession(sid: string, key: string): LoadedSession | undefined {
    return unexpired(this.cached?.peek(key, () => this.query(sid)));
  }

  /** The live session stored under `sid` (`key` is its sessionKey), or undefined. */
  async load(sid: string, key: string): Promise<LoadedSession | undefined> {
    return unexpired(this.cached ? await this.cached.get(key, () => this.query(sid)) : await this.query(sid));
  }

  private async query(sid: string): Promise<LoadedSession | undefined> {
    const row = await this.repository
      .createQueryBuilder('s')
      .select(['s.data', 's.expiresAt'])
      .where('s.sid = :sid AND s.expires_at > now()', { sid })
      .getOne();
    return row ? { data: Object.freeze(row.data as SessionData), expiresAt: row.expiresAt.getTime() } : undefined;
  }

  /** Stores the session's data, with an idle expiry starting now. */
  async save(sid: string, data: SessionData): Promise<void> {
    await this.repository.upsert(
      {
        sid,
        data: data as never,
        expiresAt: new Date(this.expiry(data, Date.now())),
        userId: data.userId ?? null,
        lastSeenAt: new Date(),
        providerId: data.providerId ?? null,
        providerSid: data.providerSid?.slice(0, 255) ?? null,
        ip: data.ip ?? null,
        userAgent: data.userAgent ?? null,
        breakGlass: data.breakGlass ?? false,
      },
      ['sid'],
    );
    this.cache?.listener.announce('s', sessionKey(sid));
  }

  /**
   * The later idle expiry of a signed-in session being used now, when it moves the stored one by a
   * minute or more; undefined otherwise. So the cookie and the row are rewritten about once a minute
   * per active session instead of on every request.
   */
  idleRefreshDue(loaded: LoadedSession, now = Date.now()): number | undefined {
    if (!loaded.data.userId) return undefined;
    const expiresAt = this.expiry(loaded.data, now);
    return expiresAt - loaded.expiresAt >= TOUCH_GRANULARITY_MS ? expiresAt : undefined;
  }

  /** Pushes the row's expiry to `expiresAt`; the data did not change, so a cached copy stays with its later expiry. */
  async touch(sid: string, loaded: LoadedSession, expiresAt: number): Promise<void> {
    // Noted before the write, so the session's requests right behind this one do not write (and wait) as well.
    const previous = loaded.expiresAt;
    loaded.expiresAt = Math.max(previous, expiresAt);
    try {
      await this.repository
        .createQueryBuilder()
        .update(SessionRecord)
        .set({ expiresAt: new Date(expiresAt), lastSeenAt: () => 'now()' })
        .where('sid = :sid AND expires_at < :threshold', { sid, threshold: new Date(expiresAt - TOUCH_GRANULARITY_MS) })
        .execute();
    } catch (error) {
      loaded.expiresAt = previous;
      throw error;
    }
  }

  /**
   * Every way a session ends goes through here or the `destroy…` methods below: the rows go, this
   * instance forgets them at once, the database trigger tells the other instances, and the call
   * returns once the announcement has gone round (RevocationListener.barrier).
   */
  async destroy(sid: string): Promise<void> {
    const ended = await this.deleteSessions('sid = :sid', { sid });
    // Gone already (another instance ended it and its announcement is on the way): forget it here too.
    if (ended.length === 0) this.cache?.listener.announce('s', sessionKey(sid));
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
  /** The public id of the session stored under `sid`, or undefined. */
  async publicId(sid: string): Promise<string | undefined> {
    const row = await this.repository.createQueryBuilder('s').select(['s.id']).where('s.sid = :sid', { sid }).getOne();
    return row?.id;
  }

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

  /** The sooner of the idle expiry from `now`, the absolute lifetime and the session's own end. */
  private expiry(data: SessionData, now: number): number {
    const absolute = data.authenticatedAt ? data.authenticatedAt + this.absoluteTimeoutMs : Infinity;
    return Math.min(now + this.idleTimeoutMs, absolute, data.endsAt ?? Infinity);
  }
}

function unexpired(session: LoadedSession | undefined): LoadedSession | undefined {
  return session && session.expiresAt > Date.now() ? session : undefined;
}

function usersOf(ended: Array<{ userId: string | null }>): string[] {
  return [...new Set(ended.map((row) => row.userId).filter((id): id is string => !!id))];
}
