import type { RevocationListener } from './revocation-listener.js';

/**
 * One database read per key at a time: requests that miss the same cache entry together (every
 * request of a busy session when its entry runs out) wait for the read already on its way instead
 * of each sending its own. A read is shared only while nothing has been announced since it
 * started: a request that comes after a revocation never gets a row read before it.
 */
export class SharedLoads<V> {
  private readonly flights = new Map<string, { mark: number; value: Promise<V> }>();

  constructor(private readonly listener: RevocationListener) {}

  /**
   * Starts `load` for `key` in the background unless one is on its way, for an entry about to run
   * out (see TtlCache.endingSoon). A failure only means the entry runs out as it would have.
   */
  refresh(key: string, load: (mark: number | undefined) => Promise<V>): void {
    const flight = this.flights.get(key);
    if (flight && this.listener.unchanged(flight.mark)) return;
    this.run(key, load).catch(() => undefined);
  }

  /** `load` gets the listener's mark taken before the read, for its own decision to cache. */
  run(key: string, load: (mark: number | undefined) => Promise<V>): Promise<V> {
    const flight = this.flights.get(key);
    if (flight && this.listener.unchanged(flight.mark)) return flight.value;
    const mark = this.listener.snapshot();
    const value = load(mark);
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
