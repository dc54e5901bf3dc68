import session from 'express-session';
import type { Repository } from 'typeorm';
import { SessionRecord } from './session.entity.js';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/** Writes that only push the idle expiry forward by less than this are skipped. */
const TOUCH_GRANULARITY_MS = 60_000;

/**
 * express-session store on the `sessions` table. The expiry kept is the sooner of the cookie's
 * idle expiry and the absolute lifetime, so an expired row is never served even if not yet deleted.
 */
export class TypeOrmSessionStore extends session.Store {
  constructor(
    private readonly repository: Repository<SessionRecord>,
    private readonly absoluteTimeoutMs: number,
  ) {
    super();
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.repository
      .createQueryBuilder('s')
      .select(['s.data', 's.expiresAt'])
      .where('s.sid = :sid AND s.expires_at > now()', { sid })
      .getOne()
      .then((row) => {
        if (!row) return callback(undefined, null);
        const data = row.data as unknown as session.SessionData;
        // Carried on the loaded session so that touch() can skip an UPDATE that would change little.
        data.storedExpiresAt = row.expiresAt.getTime();
        callback(undefined, data);
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
      .then(() => callback?.(), (error) => callback?.(error));
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
      .then(() => callback?.(), (error) => callback?.(error));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.repository.delete({ sid }).then(() => callback?.(), (error) => callback?.(error));
  }

  /**
   * The revocation paths below all delete rows: every instance reads the row on each request, so
   * the next request anywhere is refused. A session cache would have to be invalidated here.
   */

  /** Ends every session of a user at once (deactivation, admin "end all"). */
  async destroyForUser(userId: string): Promise<number> {
    const result = await this.repository.delete({ userId });
    return result.affected ?? 0;
  }

  /** Ends one session by its public id; the user id, when given, must match. */
  async destroyById(id: string, userId?: string): Promise<{ userId: string | null } | undefined> {
    const result = await this.repository
      .createQueryBuilder()
      .delete()
      .where('id = :id', { id })
      .andWhere(userId ? 'user_id = :userId' : 'true', { userId })
      .returning('user_id')
      .execute();
    const row = (result.raw as { user_id: string | null }[])[0];
    return row ? { userId: row.user_id } : undefined;
  }

  /** Back-channel logout by the provider's session id. Returns the users whose sessions ended. */
  async destroyByProviderSid(providerId: string, providerSid: string): Promise<string[]> {
    return this.deleteReturningUsers('provider_id = :providerId AND provider_sid = :providerSid', { providerId, providerSid });
  }

  /** Back-channel logout by subject alone: every session the user has through that provider. */
  async destroyForUserAndProvider(userId: string, providerId: string): Promise<string[]> {
    return this.deleteReturningUsers('user_id = :userId AND provider_id = :providerId', { userId, providerId });
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

  private async deleteReturningUsers(where: string, params: Record<string, string>): Promise<string[]> {
    const result = await this.repository.createQueryBuilder().delete().where(where, params).returning('user_id').execute();
    return [...new Set((result.raw as { user_id: string | null }[]).map((row) => row.user_id).filter((id): id is string => !!id))];
  }

  async deleteExpired(): Promise<number> {
    const result = await this.repository.createQueryBuilder().delete().where('expires_at <= now()').execute();
    return result.affected ?? 0;
  }

  private expiry(data: session.SessionData): Date {
    const idle = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : Date.now() + 24 * 3600 * 1000;
    const absolute = data.authenticatedAt ? data.authenticatedAt + this.absoluteTimeoutMs : Infinity;
    // A break-glass session carries its own, shorter end.
    return new Date(Math.min(idle, absolute, data.endsAt ?? Infinity));
  }
}
