import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { LOGIN_STATE_COOKIE, LoginStateCookie } from './login-state.cookie.js';

const SECRET = 'test-session-secret-0123456789';
const PENDING = { default: { handle: { nonce: 'n', codeVerifier: 'v', returnTo: '/servicecenter', createdAt: 1 } } };

/** Seals `pending` and returns the cookie value a browser would send back. */
function seal(cookie: LoginStateCookie, pending: object): string {
  let value = '';
  cookie.write({ cookie: (_name: string, sealed: string) => (value = sealed) } as unknown as Response, pending as never);
  return value;
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
    expect(new LoginStateCookie(SECRET, false).read(requestWith(edited))).toEqual({});
    expect(new LoginStateCookie('another-secret-0123456789', false).read(requestWith(value))).toEqual({});
    expect(new LoginStateCookie(SECRET, false).read({ headers: {} } as Request)).toEqual({});
  });
});
