const PLACEHOLDER_ORIGIN = 'http://return-to.invalid';

/**
 * Where a browser may be sent after login or logout: a path of this service, never another site.
 * Rejects scheme-relative (`//x`), backslash tricks (`/\x`, which browsers read as `//x`), absolute
 * URLs, control characters, and anything that does not resolve to the same origin.
 *
 * `allowedOrigins` (the protected apps behind forward auth) are the only other places an absolute
 * `http(s)` URL may lead to; it must be written plainly (no userinfo, no backslash, no control
 * character) and its parsed origin must equal one of them exactly.
 */
export function safeReturnTo(raw: unknown, fallback = '/', allowedOrigins: readonly string[] = []): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(raw)) return fallback;
  if (allowedOrigins.length > 0 && /^https?:\/\//i.test(raw)) return protectedAppUrl(raw, allowedOrigins) ?? fallback;
  if (!raw.startsWith('/') || raw.startsWith('//')) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw, PLACEHOLDER_ORIGIN);
  } catch {
    return fallback;
  }
  if (parsed.origin !== PLACEHOLDER_ORIGIN) return fallback;
  const path = parsed.pathname + parsed.search;
  return path.startsWith('//') ? fallback : path;
}

function protectedAppUrl(raw: string, allowedOrigins: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return undefined;
  }
  if (parsed.username || parsed.password || raw.includes('@')) return undefined;
  if (!allowedOrigins.includes(parsed.origin)) return undefined;
  // The URL as parsed, so what is checked is exactly what the browser is sent to.
  return parsed.origin + parsed.pathname + parsed.search;
}
