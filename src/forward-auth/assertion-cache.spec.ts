import { describe, expect, it } from 'vitest';
import type { RevocationKind } from '../auth/session/revocation-listener.js';
import { AssertionCache, type AssertionRevocations, type AssertionSubject } from './assertion-cache.js';

/** The announcements as RevocationListener makes them: a counter, handlers per kind, a reset. */
class Announcements implements AssertionRevocations {
  listening = true;
  private counter = 0;
  private readonly handlers = new Map<RevocationKind, Array<(key: string) => void>>();
  private readonly resets: Array<() => void> = [];

  snapshot(): number | undefined {
    return this.listening ? this.counter : undefined;
  }
  unchanged(mark: number | undefined): boolean {
    return mark !== undefined && this.listening && mark === this.counter;
  }
  on(kind: RevocationKind, handler: (key: string) => void): void {
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), handler]);
  }
  onReset(handler: () => void): void {
    this.resets.push(handler);
  }
  announce(kind: RevocationKind, key: string): void {
    this.counter += 1;
    for (const handler of this.handlers.get(kind) ?? []) handler(key);
  }
  reset(): void {
    this.counter += 1;
    for (const handler of this.resets) handler();
  }
}

const WIKI = 'https://wiki.example';
const REPORTS = 'https://reports.example';
const session: AssertionSubject = { kind: 's', key: 'session-key', userId: 'u1' };
const token: AssertionSubject = { kind: 't', key: 'token-hash', userId: 'u1' };

function setUp(maxSubjects = 100) {
  let now = 1_000_000;
  const announcements = new Announcements();
  const cache = new AssertionCache<string>(announcements, maxSubjects, () => now);
  const put = (subject: AssertionSubject, origin: string, headers: string, reuseMs = 30_000) => cache.set(subject, origin, { headers, reuseUntil: now + reuseMs }, cache.mark());
  return { cache, announcements, put, advance: (ms: number) => (now += ms) };
}

describe('AssertionCache', () => {
  it('hands an assertion out again only for the same subject, user and app, until its reuse time is up', () => {
    const { cache, put, advance } = setUp();
    put(session, WIKI, 'wiki-assertion');
    expect(cache.get(session, WIKI)).toBe('wiki-assertion');
    expect(cache.get(session, REPORTS)).toBeUndefined();
    expect(cache.get(token, WIKI)).toBeUndefined();
    expect(cache.get({ ...session, userId: 'u2' }, WIKI)).toBeUndefined();
    advance(29_999);
    expect(cache.get(session, WIKI)).toBe('wiki-assertion');
    advance(1);
    expect(cache.get(session, WIKI)).toBeUndefined();
  });

  it.each([
    ['the session ends', 's', 'session-key', session, undefined],
    ['the desktop token ends', 't', 'token-hash', token, undefined],
    ['a session ends, for a token', 's', 'token-hash', token, 'kept'],
    ['the user changes', 'u', 'u1', session, undefined],
    ['another session ends', 's', 'other-key', session, 'kept'],
    ['another user changes', 'u', 'u2', session, 'kept'],
  ] as const)('drops what was cached when %s', (_, kind, key, subject, expected) => {
    const { cache, announcements, put } = setUp();
    put(subject, WIKI, 'kept');
    put(subject, REPORTS, 'kept');
    announcements.announce(kind, key);
    expect(cache.get(subject, WIKI)).toBe(expected);
    expect(cache.get(subject, REPORTS)).toBe(expected);
  });

  it("drops a user's token and sessions alike when the user changes", () => {
    const { cache, announcements, put } = setUp();
    put(session, WIKI, 'a');
    put(token, WIKI, 'b');
    put({ kind: 's', key: 'someone-else', userId: 'u2' }, WIKI, 'c');
    announcements.announce('u', 'u1');
    expect(cache.get(session, WIKI)).toBeUndefined();
    expect(cache.get(token, WIKI)).toBeUndefined();
    expect(cache.get({ kind: 's', key: 'someone-else', userId: 'u2' }, WIKI)).toBe('c');
  });

  it('keeps no signature made while something was announced, nor any while the announcements are down', () => {
    const { cache, announcements } = setUp();
    const mark = cache.mark();
    announcements.announce('s', 'unrelated');
    cache.set(session, WIKI, { headers: 'raced', reuseUntil: Number.MAX_SAFE_INTEGER }, mark);
    expect(cache.get(session, WIKI)).toBeUndefined();

    announcements.listening = false;
    cache.set(session, WIKI, { headers: 'unheard', reuseUntil: Number.MAX_SAFE_INTEGER }, cache.mark());
    expect(cache.get(session, WIKI)).toBeUndefined();
  });

  it('forgets everything when the announcement channel is lost, and stays bounded', () => {
    const { cache, announcements, put } = setUp(2);
    put(session, WIKI, 'a');
    announcements.reset();
    expect(cache.get(session, WIKI)).toBeUndefined();
    for (const key of ['k1', 'k2', 'k3']) put({ kind: 's', key, userId: key }, WIKI, key);
    expect(cache.size).toBe(2);
    expect(cache.get({ kind: 's', key: 'k1', userId: 'k1' }, WIKI)).toBeUndefined();
    expect(cache.get({ kind: 's', key: 'k3', userId: 'k3' }, WIKI)).toBe('k3');
  });

  it('lets requests that miss together wait for one signature, but never one begun before an announcement', async () => {
    const { cache, announcements } = setUp();
    let signatures = 0;
    const sign = () => Promise.resolve({ headers: `signature ${++signatures}`, reuseUntil: Number.MAX_SAFE_INTEGER });
    const mark = cache.mark();
    const [first, second] = await Promise.all([cache.sign(session, WIKI, mark, sign), cache.sign(session, WIKI, mark, sign)]);
    expect([first, second, signatures]).toEqual(['signature 1', 'signature 1', 1]);
    expect(cache.get(session, WIKI)).toBe('signature 1');

    // Another app, and a request that comes after an announcement, each get their own.
    cache.clear();
    const early = cache.sign(session, WIKI, cache.mark(), sign);
    const otherApp = cache.sign(session, REPORTS, cache.mark(), sign);
    announcements.announce('u', 'someone');
    const late = cache.sign(session, WIKI, cache.mark(), sign);
    expect(await Promise.all([early, otherApp, late])).toEqual(['signature 2', 'signature 3', 'signature 4']);
    // The one begun before the announcement is not kept; the one after it is.
    expect(cache.get(session, WIKI)).toBe('signature 4');
  });
});
