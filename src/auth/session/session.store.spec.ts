import { describe, expect, it } from 'vitest';
import type { Repository } from 'typeorm';
import type { RevocationListener } from './revocation-listener.js';
import { sessionKey } from './session-cookie.js';
import type { SessionRecord } from './session.entity.js';
import { SessionStore } from './session.store.js';
import { TtlCache } from './ttl-cache.js';

/** The listener's bookkeeping as it is while connected: announcements move a counter and clear caches. */
function listener() {
  let counter = 0;
  const caches: Array<TtlCache<unknown>> = [];
  return {
    snapshot: () => counter,
    unchanged: (mark: number | undefined) => mark === counter,
    cache: (_kind: string, ttlMs: number, max: number) => {
      const cache = new TtlCache<unknown>(ttlMs, max);
      caches.push(cache);
      return cache;
    },
    announce: (_kind: string, key: string) => {
      counter += 1;
      for (const cache of caches) cache.delete(key);
    },
  };
}

/** A table of one row whose reads answer only when the test says so. */
function slowTable() {
  const pending: Array<() => void> = [];
  let queries = 0;
  let row: { data: object; expiresAt: Date } | undefined = { data: { userId: 'u1', authenticatedAt: Date.now() }, expiresAt: new Date(Date.now() + 60_000) };
  let updates = 0;
  const builder = {
    select: () => builder,
    where: () => builder,
    update: () => builder,
    set: () => builder,
    execute: () => {
      updates += 1;
      return new Promise((resolve) => pending.push(() => resolve({ affected: 1 })));
    },
    getOne: () => {
      queries += 1;
      const answer = row;
      return new Promise((resolve) => pending.push(() => resolve(answer)));
    },
  };
  return {
    repository: { createQueryBuilder: () => builder } as unknown as Repository<SessionRecord>,
    answerAll: () => pending.splice(0).forEach((answer) => answer()),
    remove: () => (row = undefined),
    queries: () => queries,
    updates: () => updates,
  };
}

describe('SessionStore cache', () => {
  it('lets concurrent requests of one session share one query', async () => {
    const table = slowTable();
    const store = new SessionStore(table.repository, 600_000, 3_600_000, { listener: listener() as unknown as RevocationListener, ttlMs: 5_000 });
    const loads = Array.from({ length: 20 }, () => store.load('sid', sessionKey('sid')));
    table.answerAll();
    const loaded = await Promise.all(loads);
    expect(table.queries()).toBe(1);
    expect(loaded.every((session) => session?.data.userId === 'u1')).toBe(true);
    expect(await store.load('sid', sessionKey('sid'))).toBe(loaded[0]);
  });

  it('does not hand a query started before a revocation to a request that comes after it', async () => {
    const table = slowTable();
    const revocations = listener();
    const store = new SessionStore(table.repository, 600_000, 3_600_000, { listener: revocations as unknown as RevocationListener, ttlMs: 5_000 });
    const before = store.load('sid', sessionKey('sid'));
    // The row is deleted and announced while the first read is on its way (it read the row before).
    table.answerAll();
    table.remove();
    revocations.announce('s', sessionKey('sid'));
    const after = store.load('sid', sessionKey('sid'));
    table.answerAll();
    expect((await before)?.data.userId).toBe('u1');
    expect(await after).toBeUndefined();
    expect(table.queries()).toBe(2);
    // And the first read was not cached after the announcement.
    const again = store.load('sid', sessionKey('sid'));
    table.answerAll();
    expect(await again).toBeUndefined();
  });

  it('reads an entry about to run out again in the background, while still serving it', async () => {
    const table = slowTable();
    const store = new SessionStore(table.repository, 600_000, 3_600_000, { listener: listener() as unknown as RevocationListener, ttlMs: 200 });
    const first = store.load('sid', sessionKey('sid'));
    table.answerAll();
    const loaded = await first;
    expect(store.cachedSession('sid', sessionKey('sid'))).toBe(loaded);
    expect(table.queries()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 170));
    // The row goes (say its announcement was lost), then the entry enters the last fifth of its
    // time: it is still served at once, and read again behind the scenes (once).
    table.remove();
    expect(store.cachedSession('sid', sessionKey('sid'))).toBe(loaded);
    expect(store.cachedSession('sid', sessionKey('sid'))).toBe(loaded);
    expect(table.queries()).toBe(2);
    // The background read finds no row: it drops the entry instead of renewing it.
    table.answerAll();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(store.cachedSession('sid', sessionKey('sid'))).toBeUndefined();
  });

  it('pushes the idle expiry forward once for the requests of a session that arrive together', async () => {
    const table = slowTable();
    const store = new SessionStore(table.repository, 600_000, 3_600_000, { listener: listener() as unknown as RevocationListener, ttlMs: 5_000 });
    const first = store.load('sid', sessionKey('sid'));
    table.answerAll();
    const loaded = (await first)!;
    // The row's expiry is a minute from now: a request now would move it by nine minutes.
    const due = store.idleRefreshDue(loaded)!;
    expect(due).toBeGreaterThan(loaded.expiresAt);
    const touching = store.touch('sid', loaded, due);
    // The requests right behind it see nothing due while the write is on its way.
    expect(store.idleRefreshDue(loaded)).toBeUndefined();
    table.answerAll();
    await touching;
    expect(table.updates()).toBe(1);
  });
});
