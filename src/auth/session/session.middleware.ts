import type { CookieOptions, NextFunction, Request, RequestHandler, Response } from 'express';
import { ConsoleSession, type SessionBackend } from './console-session.js';
import { cookieValue, SessionCookieVerifier, signSessionId, type VerifiedSessionCookie } from './session-cookie.js';
import type { SessionStore } from './session.store.js';

export const SESSION_COOKIE = 'frontdoor.sid';

/** Paths that never read or write a console session: probes, the desktop token API, the device flow's token endpoints, metadata. */
const PATHS_WITHOUT_SESSION = ['/healthz', '/readyz', '/api/desktop/', '/api/docs-json', '/oauth/', '/.well-known/'];

export function usesSession(path: string): boolean {
  for (const prefix of PATHS_WITHOUT_SESSION) {
    if (path.startsWith(prefix) && (prefix.endsWith('/') || path.length === prefix.length)) return false;
  }
  return true;
}

export interface SessionMiddlewareOptions {
  store: SessionStore;
  secret: string;
  idleTimeoutMs: number;
  /** httpOnly, sameSite, secure, path, domain of the session cookie. */
  cookie: CookieOptions;
}

/**
 * Puts `req.session` on every request that can use one. A request with a session costs one cookie
 * lookup (the signature is checked once per cookie value, see SessionCookieVerifier) and, unless
 * the session was read in the last few seconds, one query. Nothing is written unless the session is
 * saved or its idle expiry is due to move on (about once a minute, when the cookie is re-sent too).
 */
export function sessionMiddleware(options: SessionMiddlewareOptions): RequestHandler {
  const { store, secret, idleTimeoutMs } = options;
  const verifier = new SessionCookieVerifier(secret);
  const cookieOptions: CookieOptions = { ...options.cookie, maxAge: idleTimeoutMs };
  const backend: SessionBackend = {
    save: (sid, data) => store.save(sid, data),
    destroy: (sid) => store.destroy(sid),
    sendCookie: (res, sid) => void res.cookie(SESSION_COOKIE, signSessionId(sid, secret), cookieOptions),
  };

  async function open(req: Request, res: Response, cookie: VerifiedSessionCookie): Promise<void> {
    const loaded = await store.load(cookie.sid, cookie.key);
    if (!loaded) {
      // Unknown, ended or expired: an empty session with an id of its own (the cookie's is never reused).
      req.session = new ConsoleSession(backend, res);
      return;
    }
    req.session = new ConsoleSession(backend, res, { sid: cookie.sid, data: loaded.data, key: cookie.key });
    const expiresAt = store.idleRefreshDue(loaded);
    if (expiresAt !== undefined) {
      await store.touch(cookie.sid, loaded, expiresAt);
      backend.sendCookie(res, cookie.sid);
    }
  }

  return (req: Request, res: Response, next: NextFunction) => {
    if (!usesSession(req.path)) return next();
    const raw = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const cookie = raw === undefined ? undefined : verifier.verify(raw);
    if (!cookie) {
      req.session = new ConsoleSession(backend, res);
      return next();
    }
    // The common case, a session used within the last few seconds, goes on without waiting for anything.
    const cached = store.cachedSession(cookie.sid, cookie.key);
    if (cached && store.idleRefreshDue(cached) === undefined) {
      req.session = new ConsoleSession(backend, res, { sid: cookie.sid, data: cached.data, key: cookie.key });
      return next();
    }
    open(req, res, cookie).then(() => next(), next);
  };
}
