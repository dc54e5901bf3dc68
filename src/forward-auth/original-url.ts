import type { Request } from 'express';

/**
 * The URL the browser asked the proxy for: `X-Original-URL` (nginx `auth_request`), else
 * `X-Forwarded-Proto` + `X-Forwarded-Host` + `X-Forwarded-Uri` (Traefik ForwardAuth, Caddy
 * forward_auth). Believed only from a proxy that `TRUST_PROXY` names: anyone else could claim any app.
 */
export function originalUrl(req: Request): URL | undefined {
  if (!trustedPeer(req)) return undefined;
  const original = single(req.header('x-original-url'));
  if (original) return parse(original);
  const proto = single(req.header('x-forwarded-proto'));
  const host = single(req.header('x-forwarded-host'));
  if (!proto || !host) return undefined;
  const uri = single(req.header('x-forwarded-uri')) ?? '/';
  if (!uri.startsWith('/') || uri.startsWith('//')) return undefined;
  return parse(`${proto}://${host}${uri}`);
}

/**
 * Whether the connection comes from a proxy `TRUST_PROXY` names. A proxy keeps its connections
 * open for many checks, and a connection's peer never changes: decided once per connection.
 */
const trustedSockets = new WeakMap<object, boolean>();

function trustedPeer(req: Request): boolean {
  const known = trustedSockets.get(req.socket);
  if (known !== undefined) return known;
  const trust = req.app.get('trust proxy fn') as ((address: string, hop: number) => boolean) | undefined;
  const peer = req.socket.remoteAddress;
  const trusted = !!trust && !!peer && trust(peer, 0);
  // Only once the peer is known (a socket has none before it connects, or after it closes).
  if (peer) trustedSockets.set(req.socket, trusted);
  return trusted;
}

/** A list (`a, b`) means a chain of proxies whose first hop nobody vouched for: refused. */
function single(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && !trimmed.includes(',') ? trimmed : undefined;
}

function parse(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The origin a query parameter names (`?app=https://wiki.example`, a trailing `/` allowed), or
 * undefined for anything else: a path, userinfo, another scheme, control characters, garbage.
 */
export function protectedOrigin(raw: unknown): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (typeof raw !== 'string' || raw.length > 2048 || /[\\\u0000-\u001f\u007f]/.test(raw)) return undefined;
  const url = parse(raw);
  if (!url || url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  return raw === url.origin || raw === `${url.origin}/` ? url.origin : undefined;
}
