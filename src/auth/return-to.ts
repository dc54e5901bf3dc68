const PLACEHOLDER_ORIGIN = 'http://return-to.invalid';

/**
 * Where a browser may be sent after login or logout: a path of this service, never another site.
 * Rejects scheme-relative (`//x`), backslash tricks (`/\x`, which browsers read as `//x`), absolute
 * URLs, control characters, and anything that does not resolve to the same origin.
 */
export function safeReturnTo(raw: unknown, fallback = '/'): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return fallback;
  if (!raw.startsWith('/') || raw.startsWith('//')) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(raw)) return fallback;
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
