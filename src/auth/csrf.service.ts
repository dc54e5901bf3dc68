import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { crossSiteReason } from './cross-site.js';

const MAX_REMEMBERED_TOKENS = 10_000;

/** The form field (or `X-CSRF-Token` header) that carries the token. */
export const CSRF_FIELD = '_csrf';

/**
 * Per-session CSRF tokens for state-changing forms, with the same-site check every such form makes
 * first. The `Origin` check alone is not enough: with `Referrer-Policy: no-referrer` Chromium sends
 * `Origin: null` on form posts, which names no site. The token is an HMAC
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

  /**
   * The one rule of every state-changing form: sent by this site's own page (see `verifySameSite`)
   * and carrying this session's token. Throws 403 otherwise.
   */
  verify(req: Request): void {
    this.verifySameSite(req);
    const body = req.body as Record<string, unknown> | undefined;
    const given = typeof body?.[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : req.header('x-csrf-token');
    if (!req.session?.stored || !given || !sameToken(given, this.token(req))) {
      throw new DomainException('csrf_failed', HttpStatus.FORBIDDEN, 'This form has expired or did not come from this site.', {
        title: 'The form could not be accepted',
        detail: 'Go back, reload the page and try again.',
      });
    }
  }

  /**
   * Throws 403 for a request another site's page sent (a named `Origin` other than this one, or
   * `Sec-Fetch-Site: cross-site`), even with a valid token. Forms without a session to bind a token
   * to (break-glass sign-in) use this alone.
   */
  verifySameSite(req: Request): void {
    const reason = crossSiteReason({ origin: req.header('origin'), secFetchSite: req.header('sec-fetch-site') }, this.config.publicUrl.origin);
    if (reason) {
      throw new DomainException('cross_origin', HttpStatus.FORBIDDEN, 'This form did not come from this site, so nothing was changed.', {
        title: 'The form could not be accepted',
        detail: "Use the page of this site itself: open it from the address bar or a bookmark and try again.",
        logDetail: `cross-site form post (${reason})`,
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
