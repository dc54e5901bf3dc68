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
      .upsert({ sid, data: data as never, expiresAt: this.expiry(data), userId: data.userId ?? null }, ['sid'])
      .then(() => callback?.(), (error) => callback?.(error));
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const expiresAt = this.expiry(data);
    if (data.storedExpiresAt !== undefined && expiresAt.getTime() - data.storedExpiresAt < TOUCH_GRANULARITY_MS) return void callback?.();
    this.repository
      .createQueryBuilder()
      .update(SessionRecord)
      .set({ expiresAt })
      .where('sid = :sid AND expires_at < :threshold', { sid, threshold: new Date(expiresAt.getTime() - TOUCH_GRANULARITY_MS) })
      .execute()
      .then(() => callback?.(), (error) => callback?.(error));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.repository.delete({ sid }).then(() => callback?.(), (error) => callback?.(error));
  }

  /** Ends every session of a user at once (deactivation). */
  async destroyForUser(userId: string): Promise<number> {
    const result = await this.repository.delete({ userId });
    return result.affected ?? 0;
  }

  /** The live sessions of a user, newest first. */
  async listForUser(userId: string): Promise<Array<{ sid: string; data: session.SessionData; expiresAt: Date }>> {
    const rows = await this.repository
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.expires_at > now()', { userId })
      .orderBy('s.expires_at', 'DESC')
      .getMany();
    return rows.map((row) => ({ sid: row.sid, data: row.data as unknown as session.SessionData, expiresAt: row.expiresAt }));
  }

  /** Ends one session of a user, named by the SHA-256 of its id (the id itself is the cookie's secret). */
  async destroyForUserByDigest(userId: string, digest: string): Promise<boolean> {
    const result = await this.repository
      .createQueryBuilder()
      .delete()
      .where(`user_id = :userId AND encode(sha256(convert_to(sid, 'UTF8')), 'hex') = :digest`, { userId, digest })
      .execute();
    return (result.affected ?? 0) > 0;
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
