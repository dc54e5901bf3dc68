import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { PendingAuthorization } from '../auth.types.js';

export const LOGIN_STATE_COOKIE = 'frontdoor.login';
/** Only the sign-in routes need it. */
const COOKIE_PATH = '/auth/';
const MAX_AGE_MS = 15 * 60 * 1000;

type PendingByProvider = Record<string, Record<string, PendingAuthorization>>;

/**
 * The logins a browser has in flight, kept in a short-lived cookie instead of a session row: an
 * anonymous `GET /auth/login` then writes nothing to the database, and any instance sharing
 * SESSION_SECRET can finish a login another began. Encrypted and authenticated (AES-256-GCM), so
 * the PKCE verifier and nonce stay unreadable and the cookie cannot be forged or edited.
 */
export class LoginStateCookie {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly secure: boolean,
  ) {
    this.key = createHash('sha256').update(`login-state:${secret}`).digest();
  }

  read(req: Request): PendingByProvider {
    const raw = cookieValue(req.headers.cookie, LOGIN_STATE_COOKIE);
    if (!raw) return {};
    try {
      const sealed = Buffer.from(raw, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      const json = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
      const parsed: unknown = JSON.parse(json);
      return typeof parsed === 'object' && parsed !== null ? (parsed as PendingByProvider) : {};
    } catch {
      // Edited, truncated or sealed with another secret: as if there were no login in flight.
      return {};
    }
  }

  write(res: Response, pending: PendingByProvider): void {
    const options = { httpOnly: true, sameSite: 'lax' as const, secure: this.secure, path: COOKIE_PATH };
    if (Object.values(pending).every((handles) => Object.keys(handles).length === 0)) {
      res.clearCookie(LOGIN_STATE_COOKIE, options);
      return;
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(pending), 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    res.cookie(LOGIN_STATE_COOKIE, sealed, { ...options, maxAge: MAX_AGE_MS });
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
