import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { LOGIN_STATE_COOKIE, LoginStateCookie } from './login-state.cookie.js';
import { OidcStateStore } from './oidc-state.store.js';

const SECRET = 'test-session-secret-0123456789';

/** A browser with one cookie jar: what the store writes is what the next request sends. */
function browser() {
  let sealed = '';
  const res = { cookie: (_name: string, value: string) => (sealed = value), clearCookie: () => (sealed = '') } as unknown as Response;
  const request = (query: Record<string, string> = {}) => ({ headers: { cookie: sealed ? `${LOGIN_STATE_COOKIE}=${sealed}` : '' }, query, res }) as unknown as Request;
  return { request };
}

function startLogin(store: OidcStateStore, req: Request, codeVerifier: string): string {
  let handle = '';
  store.store(req, { nonce: 'nonce' }, { returnTo: '/servicecenter', codeVerifier }, undefined, (error, h) => {
    if (error) throw error;
    handle = h!;
  });
  return handle;
}

function finishLogin(store: OidcStateStore, req: Request, handle: string): boolean {
  let passed = false;
  store.verify(req, handle, (error, ctx) => {
    if (error) throw error;
    passed = ctx !== false;
  });
  return passed;
}

describe('OidcStateStore', () => {
  it('hands the PKCE verifier of a checked state to the exchange of its code, once', () => {
    const store = new OidcStateStore('default', new LoginStateCookie(SECRET, false));
    const { request } = browser();
    const handle = startLogin(store, request(), 'verifier-1');
    expect(finishLogin(store, request({ code: 'code-1', state: handle }), handle)).toBe(true);
    expect(store.takeCodeVerifier('code-1')).toBe('verifier-1');
    expect(store.takeCodeVerifier('code-1')).toBeUndefined();
  });

  it('keeps a bounded number of verifiers whose code exchange never came, dropping the oldest', () => {
    const store = new OidcStateStore('default', new LoginStateCookie(SECRET, false));
    for (let i = 0; i < 1005; i++) {
      const { request } = browser();
      const handle = startLogin(store, request(), `verifier-${i}`);
      expect(finishLogin(store, request({ code: `code-${i}`, state: handle }), handle)).toBe(true);
    }
    expect(store.takeCodeVerifier('code-0')).toBeUndefined();
    expect(store.takeCodeVerifier('code-4')).toBeUndefined();
    expect(store.takeCodeVerifier('code-5')).toBe('verifier-5');
    expect(store.takeCodeVerifier('code-1004')).toBe('verifier-1004');
  });
});
