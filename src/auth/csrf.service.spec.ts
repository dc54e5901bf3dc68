import { describe, expect, it } from 'vitest';
import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { CsrfService, csrfToken } from './csrf.service.js';

const service = new CsrfService({ session: { secret: 'secret-one' }, publicUrl: new URL('http://localhost:3000') } as AppConfig);

function request(sessionID: string | undefined, body: Record<string, unknown>, headers: Record<string, string> = {}): Request {
  return { session: sessionID ? { id: sessionID, stored: true } : undefined, body, header: (name: string) => headers[name.toLowerCase()] } as unknown as Request;
}

describe('CsrfService', () => {
  it('accepts the token of the same session, in the form or the header', () => {
    const token = service.token(request('sid-1', {}));
    expect(() => service.verify(request('sid-1', { _csrf: token }))).not.toThrow();
    expect(() => service.verify(request('sid-1', {}, { 'x-csrf-token': token }))).not.toThrow();
  });

  it('refuses a missing, wrong or other session\'s token, and a request without a session', () => {
    const other = csrfToken('secret-one', 'sid-2');
    expect(() => service.verify(request('sid-1', {}))).toThrow(/expired or did not come from this site/);
    expect(() => service.verify(request('sid-1', { _csrf: 'x' }))).toThrow();
    expect(() => service.verify(request('sid-1', { _csrf: other }))).toThrow();
    expect(() => service.verify(request(undefined, { _csrf: csrfToken('secret-one', '') }))).toThrow();
  });

  it('refuses the token of a session that was never stored (a visitor without a sign-in)', () => {
    const anonymous = { session: { id: 'sid-3', stored: false }, body: { _csrf: csrfToken('secret-one', 'sid-3') }, header: () => undefined } as unknown as Request;
    expect(() => service.verify(anonymous)).toThrow(/expired or did not come from this site/);
  });

  it('refuses a valid token sent by another site (Origin or Sec-Fetch-Site), and accepts Origin null', () => {
    const token = service.token(request('sid-1', {}));
    expect(() => service.verify(request('sid-1', { _csrf: token }, { origin: 'https://evil.example' }))).toThrow(/did not come from this site/);
    expect(() => service.verify(request('sid-1', { _csrf: token }, { origin: 'http://localhost:3000', 'sec-fetch-site': 'cross-site' }))).toThrow(/did not come from this site/);
    expect(() => service.verify(request('sid-1', { _csrf: token }, { origin: 'null', 'sec-fetch-site': 'same-origin' }))).not.toThrow();
    expect(() => service.verify(request('sid-1', { _csrf: token }, { origin: 'http://localhost:3000' }))).not.toThrow();
  });

  it('depends on the secret', () => {
    expect(csrfToken('secret-one', 'sid-1')).not.toBe(csrfToken('secret-two', 'sid-1'));
  });
});
