import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const MAX_REMEMBERED_TOKENS = 10_000;

/** The form field (or `X-CSRF-Token` header) that carries the token. */
export const CSRF_FIELD = '_csrf';

/**
 * Per-session CSRF tokens for state-changing forms. The `Origin` check alone is not enough: with
 * `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on form posts. The token is an HMAC
 * of the session id, so it needs no storage, changes when the id is regenerated at login, and is
 * worthless without the session cookie it belongs to.
 */
@Injectable()
export class CsrfService {
  /** Tokens of sessions seen lately: every page of a session carries the same one, and an HMAC per page adds up. */
  private readonly recent = new Map<string, string>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The token to put in the forms of a page served to this request's session. */
  token(req: Request): string {
    const sid = req.session.id;
    let token = this.recent.get(sid);
    if (token === undefined) {
      token = csrfToken(this.config.session.secret, sid);
      // Only a stored session's: an empty one gets a new id on every request.
      if (req.session.stored) {
        if (this.recent.size >= MAX_REMEMBERED_TOKENS) this.recent.clear();
        this.recent.set(sid, token);
      }
    }
    return token;
  }

  /** Throws 403 unless the request carries this session's token. */
  verify(req: Request): void {
    const body = req.body as Record<string, unknown> | undefined;
    const given = typeof body?.[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : req.header('x-csrf-token');
    if (!req.session?.stored || !given || !sameToken(given, this.token(req))) {
      throw new DomainException('csrf_failed', HttpStatus.FORBIDDEN, 'This form has expired or did not come from this site.', {
        title: 'The form could not be accepted',
        detail: 'Go back, reload the page and try again.',
      });
    }
  }
}

export function csrfToken(secret: string, sessionId: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

/** Constant time, so the comparison tells an attacker nothing about how much of a guess was right. */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
