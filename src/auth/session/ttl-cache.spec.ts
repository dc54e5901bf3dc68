import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('serves an entry until its time is up, then forgets it', () => {
    let now = 1_000;
    const cache = new TtlCache<string>(5_000, 10, () => now);
    cache.set('a', 'one');
    now += 4_999;
    expect(cache.get('a')).toBe('one');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('says when an entry is in the last fifth of its time', () => {
    let now = 1_000;
    const cache = new TtlCache<string>(5_000, 10, () => now);
    cache.set('a', 'one');
    expect(cache.endingSoon('a')).toBe(false);
    now += 4_000;
    expect(cache.endingSoon('a')).toBe(false);
    now += 1;
    expect(cache.endingSoon('a')).toBe(true);
    expect(cache.endingSoon('missing')).toBe(false);
  });

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = new TtlCache<number>(60_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('stores nothing with a TTL of 0 (caching turned off)', () => {
    const cache = new TtlCache<number>(0, 10);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('deletes one entry, the entries matching a predicate, or everything', () => {
    const cache = new TtlCache<{ userId: string }>(60_000, 10);
    cache.set('s1', { userId: 'u1' });
    cache.set('s2', { userId: 'u1' });
    cache.set('s3', { userId: 'u2' });
    cache.deleteWhere((v) => v.userId === 'u1');
    expect([cache.get('s1'), cache.get('s2'), cache.get('s3')]).toEqual([undefined, undefined, { userId: 'u2' }]);
    cache.delete('s3');
    expect(cache.get('s3')).toBeUndefined();
    cache.set('s4', { userId: 'u3' });
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
