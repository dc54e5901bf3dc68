import { STUDIOS, type StudioClient } from './studio-clients.js';

export type RedirectUriCheck = { ok: true; uri: string } | { ok: false; reason: string };

/**
 * `http`, a literal loopback address, an explicit port and a path: nothing else. The literal
 * prefix matters as much as the parse: `http://127.0.0.1:1@evil.example/` parses to evil.example.
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\]):([0-9]{1,5})(\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*)$/;
const MAX_LENGTH = 512;

/**
 * Where a handoff may send its one-time code: the client's own registered custom scheme, exactly,
 * or a loopback URL as RFC 8252 7.3 allows for native apps. `localhost` is refused (RFC 8252 8.3:
 * it may resolve elsewhere, or be answered by another process on the other address family).
 */
export function checkRedirectUri(client: StudioClient, raw: string | undefined): RedirectUriCheck {
  const registered = STUDIOS[client].customSchemeUri;
  if (raw === undefined) return { ok: true, uri: registered };
  if (raw === registered) return { ok: true, uri: raw };
  if (raw.length > MAX_LENGTH) return refuse(`redirectUri is longer than ${MAX_LENGTH} characters`);
  if (/^https?:\/\/localhost(?=[:/]|$)/i.test(raw)) {
    return refuse('redirectUri must use the loopback address 127.0.0.1 or [::1], not localhost (RFC 8252 8.3)');
  }
  const match = LOOPBACK.exec(raw);
  if (!match) {
    return refuse(`redirectUri must be ${registered} or http://127.0.0.1:<port>/<path> (or http://[::1]:<port>/<path>) with no user info, query or fragment`);
  }
  const [, host, portText, path] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535 || String(port) !== portText) return refuse('redirectUri has an invalid port');
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return refuse('redirectUri is not a valid URL');
  }
  // The parser must agree with the pattern: no dot segments or other rewriting of the path.
  if (parsed.hostname !== host || parsed.username || parsed.password || parsed.search || parsed.hash || parsed.pathname !== path) {
    return refuse('redirectUri must be a plain loopback URL');
  }
  return { ok: true, uri: raw };
}

function refuse(reason: string): RedirectUriCheck {
  return { ok: false, reason };
}
