import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { LOGIN_STATE_COOKIE, LoginStateCookie } from './login-state.cookie.js';

const SECRET = 'test-session-secret-0123456789';
const PENDING = { logins: { default: { handle: { nonce: 'n', codeVerifier: 'v', returnTo: '/servicecenter', createdAt: 1 } } } };
const LINK = { userId: 'u-1', providerId: 'partner', issuer: 'https://partner.example', subject: 's-1', throughProviderId: 'default', createdAt: 2 };

/** A request whose response records the cookie it is given. */
function exchange(cookieHeader?: string): { req: Request; sent: () => string | undefined } {
  let value: string | undefined;
  const res = { cookie: (_name: string, sealed: string) => (value = sealed), clearCookie: () => (value = '') } as unknown as Response;
  const req = { headers: cookieHeader ? { cookie: cookieHeader } : {}, res } as unknown as Request;
  return { req, sent: () => value };
}

/** Seals `state` and returns the cookie value a browser would send back. */
function seal(cookie: LoginStateCookie, state: object): string {
  const { req, sent } = exchange();
  cookie.write(req, state as never);
  return sent()!;
}

function requestWith(value: string): Request {
  return { headers: { cookie: `other=1; ${LOGIN_STATE_COOKIE}=${value}` } } as Request;
}

describe('LoginStateCookie', () => {
  it('reads back what it sealed, and the sealed value shows none of it', () => {
    const cookie = new LoginStateCookie(SECRET, false);
    const value = seal(cookie, PENDING);
    expect(value).not.toContain('servicecenter');
    expect(cookie.read(requestWith(value))).toEqual(PENDING);
  });

  it('treats an edited cookie, or one sealed with another secret, as no login in flight', () => {
    const value = seal(new LoginStateCookie(SECRET, false), PENDING);
    const edited = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(new LoginStateCookie(SECRET, false).read(requestWith(edited))).toEqual({ logins: {} });
    expect(new LoginStateCookie('another-secret-0123456789', false).read(requestWith(value))).toEqual({ logins: {} });
    expect(new LoginStateCookie(SECRET, false).read({ headers: {} } as Request)).toEqual({ logins: {} });
  });

  it('keeps a pending link beside the logins, hands it out once, and keeps the logins', () => {
    const cookie = new LoginStateCookie(SECRET, false);
    const value = seal(cookie, { ...PENDING, link: LINK });
    const { req, sent } = exchange(`${LOGIN_STATE_COOKIE}=${value}`);
    expect(cookie.takeLink(req)).toEqual(LINK);
    expect(cookie.takeLink(req)).toBeUndefined();
    expect(cookie.read(requestWith(sent()!))).toEqual(PENDING);
  });

  it('reads back within a request what that request wrote, not the used state the browser sent', () => {
    const cookie = new LoginStateCookie(SECRET, false);
    const { req } = exchange(`${LOGIN_STATE_COOKIE}=${seal(cookie, PENDING)}`);
    cookie.write(req, { logins: {} });
    cookie.offerLink(req, LINK);
    expect(cookie.read(req)).toEqual({ logins: {}, link: LINK });
  });
});
