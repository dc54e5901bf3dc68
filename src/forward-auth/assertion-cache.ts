import type { RevocationListener } from '../auth/session/revocation-listener.js';

/**
 * Who an assertion was made for: a console session (`s`) or a desktop token (`t`), by the key its end
 * is announced under (RevocationListener), and the user behind it.
 */
export interface AssertionSubject {
  kind: 's' | 't';
  key: string;
  userId: string;
}

/** What `/auth/verify` answers with, reused as long as it may be. */
export interface CachedAssertion<H> {
  headers: H;
  /** Epoch ms after which this assertion is not handed out again (a new one is signed). */
  reuseUntil: number;
}

interface SubjectEntry<H> {
  userId: string;
  apps: Map<string, CachedAssertion<H>>;
}

/** What the cache needs from the revocation announcements. */
export type AssertionRevocations = Pick<RevocationListener, 'snapshot' | 'unchanged' | 'on' | 'onReset'>;

/**
 * Assertions already signed, per session or desktop token and per app, so that the requests of a
 * busy browser or script do not each cost an ES256 signature. Forward auth consults it only after the
 * session or token was found live (through the caches that every revocation clears), and its entries
 * go on the same announcements as those caches: a session or token ended, a user changed
 * (deactivated, roles), and everything when the announcement channel is lost. A signature made while
 * anything was announced is not kept, nor any while the channel is down.
 */
export class AssertionCache<H> {
  private readonly subjects = new Map<string, SubjectEntry<H>>();
  private readonly byUser = new Map<string, Set<string>>();
  /** Signatures on their way, so that the requests of a busy session that miss together wait for one. */
  private readonly flights = new Map<string, { mark: number; value: Promise<H> }>();

  constructor(
    private readonly revocations: AssertionRevocations,
    private readonly maxSubjects = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    revocations.on('s', (key) => this.dropSubject(`s:${key}`));
    revocations.on('t', (key) => this.dropSubject(`t:${key}`));
    revocations.on('u', (userId) => this.dropUser(userId));
    revocations.onReset(() => this.clear());
  }

  get size(): number {
    return this.subjects.size;
  }

  /** A mark to take before the subject is checked; `set` keeps a signature only if nothing was announced since. */
  mark(): number | undefined {
    return this.revocations.snapshot();
  }

  /** The assertion made for this subject and app, while it may still be handed out; never another app's. */
  get(subject: AssertionSubject, origin: string): H | undefined {
    const entry = this.subjects.get(subjectId(subject));
    if (!entry || entry.userId !== subject.userId) return undefined;
    const cached = entry.apps.get(origin);
    if (!cached) return undefined;
    if (cached.reuseUntil > this.now()) return cached.headers;
    entry.apps.delete(origin);
    return undefined;
  }

  set(subject: AssertionSubject, origin: string, assertion: CachedAssertion<H>, mark: number | undefined): void {
    if (this.maxSubjects <= 0 || !this.revocations.unchanged(mark)) return;
    const id = subjectId(subject);
    let entry = this.subjects.get(id);
    if (entry && entry.userId !== subject.userId) {
      this.dropSubject(id);
      entry = undefined;
    }
    if (!entry) {
      if (this.subjects.size >= this.maxSubjects) this.dropSubject(this.subjects.keys().next().value!);
      entry = { userId: subject.userId, apps: new Map() };
      this.subjects.set(id, entry);
      let ids = this.byUser.get(subject.userId);
      if (!ids) this.byUser.set(subject.userId, (ids = new Set()));
      ids.add(id);
    }
    entry.apps.set(origin, assertion);
  }

  /**
   * What `sign` makes, kept as `set` keeps it, and shared with the requests that miss the same
   * subject and app while it runs: only while nothing has been announced since it started, so a
   * request that comes after a revocation or a role change never gets a signature begun before it.
   */
  sign(subject: AssertionSubject, origin: string, mark: number | undefined, sign: () => Promise<CachedAssertion<H>>): Promise<H> {
    const id = `${subjectId(subject)}|${subject.userId}|${origin}`;
    const flight = this.flights.get(id);
    if (flight && flight.mark === mark && this.revocations.unchanged(mark)) return flight.value;
    const value = sign().then((made) => {
      this.set(subject, origin, made, mark);
      return made.headers;
    });
    // Not listening: nothing is kept, and nothing is shared either.
    if (mark === undefined) return value;
    const entry = { mark, value };
    this.flights.set(id, entry);
    const done = () => {
      if (this.flights.get(id) === entry) this.flights.delete(id);
    };
    value.then(done, done);
    return value;
  }

  clear(): void {
    this.subjects.clear();
    this.byUser.clear();
  }

  private dropSubject(id: string): void {
    const entry = this.subjects.get(id);
    if (!entry) return;
    this.subjects.delete(id);
    const ids = this.byUser.get(entry.userId);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(entry.userId);
  }

  private dropUser(userId: string): void {
    for (const id of this.byUser.get(userId) ?? []) this.subjects.delete(id);
    this.byUser.delete(userId);
  }
}

function subjectId(subject: AssertionSubject): string {
  return `${subject.kind}:${subject.key}`;
}
