import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The session cookie's value: `s:<id>.<HMAC-SHA256 of the id, base64 without padding>`, URL-encoded
 * (the signed-cookie format of the Express ecosystem, so cookies issued before stay valid).
 * The id is 192 random bits; the signature makes a cookie that this service did not issue worthless
 * before any lookup.
 */
const PREFIX = 's:';

/** A new session id: 24 random bytes, base64url. */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

export function signSessionId(sid: string, secret: string): string {
  return `${PREFIX}${sid}.${signature(sid, secret)}`;
}

/** The session id in a signed value, or undefined when the value was not signed with `secret`. */
export function unsignSessionId(value: string, secret: string): string | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot <= PREFIX.length) return undefined;
  const sid = value.slice(PREFIX.length, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(signature(sid, secret));
  return given.length === expected.length && timingSafeEqual(given, expected) ? sid : undefined;
}

/** The raw (still URL-encoded) value of cookie `name` in a Cookie header; the first one wins. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let from = 0;
  while (from < header.length) {
    const end = header.indexOf(';', from);
    const part = end === -1 ? header.slice(from) : header.slice(from, end);
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    if (end === -1) break;
    from = end + 1;
  }
  return undefined;
}

/** The key a session is cached and announced under: the SHA-256 of its id (the database triggers send the same), never the id itself. */
export function sessionKey(sid: string): string {
  return createHash('sha256').update(sid).digest('hex');
}

function signature(sid: string, secret: string): string {
  return createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
}

/** A verified session cookie: its id and cache key. */
export interface VerifiedSessionCookie {
  sid: string;
  key: string;
}

/**
 * Verifies session cookies, remembering the ones that passed: a signed-in browser sends the same
 * value on every request, and checking its HMAC and hashing its id each time cost more than the
 * rest of the session lookup. Only values that passed are remembered, so a flood of forged cookies
 * cannot fill it with anything but misses; it is bounded and starts over when full.
 */
export class SessionCookieVerifier {
  private readonly verified = new Map<string, VerifiedSessionCookie>();

  constructor(
    private readonly secret: string,
    private readonly maxEntries = 10_000,
  ) {}

  verify(raw: string): VerifiedSessionCookie | undefined {
    const known = this.verified.get(raw);
    if (known) return known;
    let value: string;
    try {
      value = raw.includes('%') ? decodeURIComponent(raw) : raw;
    } catch {
      return undefined;
    }
    const sid = unsignSessionId(value, this.secret);
    if (!sid) return undefined;
    if (this.verified.size >= this.maxEntries) this.verified.clear();
    const entry = { sid, key: sessionKey(sid) };
    this.verified.set(raw, entry);
    return entry;
  }
}
