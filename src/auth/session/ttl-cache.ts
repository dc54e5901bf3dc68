/**
 * A small in-process map whose entries live `ttlMs` at most and which never holds more than
 * `maxEntries` (the oldest insertion goes first), so memory stays bounded under any load.
 * It knows nothing about revocation: its owners delete entries when told to.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Whether `key`'s entry is in the last fifth of its time: its owner can read it again in the
   * background while still serving it, so that busy keys never make a request wait for the read.
   */
  endingSoon(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.until - this.now() < this.ttlMs / 5;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (predicate(entry.value)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
