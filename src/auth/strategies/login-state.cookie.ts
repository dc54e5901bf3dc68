import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { PendingLink } from '../../access/identity-linking.js';
import type { PendingAuthorization } from '../auth.types.js';

export const LOGIN_STATE_COOKIE = 'frontdoor.login';
/** Only the sign-in routes need it. */
const COOKIE_PATH = '/auth/';
export const LOGIN_STATE_MAX_AGE_MS = 15 * 60 * 1000;

export type PendingByProvider = Record<string, Record<string, PendingAuthorization>>;

/** What a browser has in flight: its logins by provider, and at most one identity waiting to be linked. */
export interface LoginState {
  logins: PendingByProvider;
  /** Offered by the confirm-by-signing-in page; bound to the user and both providers, it expires with the cookie. */
  link?: PendingLink;
}

/**
 * The logins a browser has in flight, kept in a short-lived cookie instead of a session row: an
 * anonymous `GET /auth/login` then writes nothing to the database, and any instance sharing
 * SESSION_SECRET can finish a login another began. Encrypted and authenticated (AES-256-GCM), so
 * the PKCE verifier and nonce stay unreadable and the cookie cannot be forged or edited.
 */
export class LoginStateCookie {
  private readonly key: Buffer;
  /** What this response already wrote: a later read in the same request must not resurrect a used state. */
  private readonly written = new WeakMap<Request, LoginState>();

  constructor(
    secret: string,
    private readonly secure: boolean,
  ) {
    this.key = createHash('sha256').update(`login-state:${secret}`).digest();
  }

  read(req: Request): LoginState {
    const written = this.written.get(req);
    if (written) return structuredClone(written);
    const raw = cookieValue(req.headers.cookie, LOGIN_STATE_COOKIE);
    if (!raw) return { logins: {} };
    try {
      const sealed = Buffer.from(raw, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      const json = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
      const parsed = JSON.parse(json) as Partial<LoginState> | null;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.logins !== 'object' || parsed.logins === null) return { logins: {} };
      return { logins: parsed.logins, ...(parsed.link ? { link: parsed.link } : {}) };
    } catch {
      // Edited, truncated or sealed with another secret: as if there were no login in flight.
      return { logins: {} };
    }
  }

  /** Seals `state` into the response of `req` (cleared when nothing is left in it). */
  write(req: Request, state: LoginState): void {
    const res = req.res as Response;
    this.written.set(req, structuredClone(state));
    const options = { httpOnly: true, sameSite: 'lax' as const, secure: this.secure, path: COOKIE_PATH };
    if (!state.link && Object.values(state.logins).every((handles) => Object.keys(handles).length === 0)) {
      res.clearCookie(LOGIN_STATE_COOKIE, options);
      return;
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    res.cookie(LOGIN_STATE_COOKIE, sealed, { ...options, maxAge: LOGIN_STATE_MAX_AGE_MS });
  }

  /** Takes the identity waiting to be linked, if any: it is offered once, whatever the login's outcome. */
  takeLink(req: Request): PendingLink | undefined {
    const state = this.read(req);
    if (!state.link) return undefined;
    const { link, ...rest } = state;
    this.write(req, rest);
    return link;
  }

  offerLink(req: Request, link: PendingLink): void {
    this.write(req, { ...this.read(req), link });
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
