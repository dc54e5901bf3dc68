import type { RevocationKind, RevocationListener } from './revocation-listener.js';
import type { TtlCache } from './ttl-cache.js';

/**
 * Rows read from the database, kept for a few seconds, dropped on every instance as soon as the
 * database announces that they changed or went (RevocationListener), and all of them while that
 * announcement channel is down. What it adds to a plain cache of them:
 * - One read per key at a time: requests that miss the same entry together (every request of a busy
 *   session when its entry runs out) wait for the read already on its way instead of each sending
 *   their own. A read is shared only while nothing has been announced since it started, so a request
 *   that comes after a revocation never gets a row read before it.
 * - An entry in the last fifth of its time is read again in the background while still served, so
 *   a busy key never makes a request wait for the database.
 * - A read is cached only if nothing was announced while it ran (the row may be gone already), and a
 *   read that finds nothing drops the entry.
 */
export class RevocableCache<V> {
  private readonly entries: TtlCache<V>;
  private readonly flights = new Map<string, { mark: number; value: Promise<V | undefined> }>();

  constructor(
    private readonly listener: RevocationListener,
    kind: RevocationKind,
    ttlMs: number,
    maxEntries: number,
  ) {
    this.entries = listener.cache(kind, ttlMs, maxEntries);
  }

  /** The cached value, without a query or a promise; `read` runs in the background when the entry is about to run out. */
  peek(key: string, read: () => Promise<V | undefined>): V | undefined {
    const hit = this.entries.get(key);
    // A failed background read only means the entry runs out as it would have.
    if (hit !== undefined && this.entries.endingSoon(key)) this.load(key, read).catch(() => undefined);
    return hit;
  }

  /** The cached value, or what `read` finds (shared with the requests that miss it at the same time). */
  get(key: string, read: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.peek(key, read);
    return hit !== undefined ? Promise.resolve(hit) : this.load(key, read);
  }

  private load(key: string, read: () => Promise<V | undefined>): Promise<V | undefined> {
    const flight = this.flights.get(key);
    if (flight && this.listener.unchanged(flight.mark)) return flight.value;
    const mark = this.listener.snapshot();
    const value = read().then((found) => {
      if (found === undefined) this.entries.delete(key);
      else if (this.listener.unchanged(mark)) this.entries.set(key, found);
      return found;
    });
    // Not listening: nothing is cached, and nothing is shared either.
    if (mark === undefined) return value;
    const entry = { mark, value };
    this.flights.set(key, entry);
    const done = () => {
      if (this.flights.get(key) === entry) this.flights.delete(key);
    };
    value.then(done, done);
    return value;
  }
}
