import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookieValue, newSessionId, SessionCookieVerifier, sessionKey, signSessionId, unsignSessionId } from './session-cookie.js';
import { usesSession } from './session.middleware.js';

describe('session cookie', () => {
  it('signs in the s:<id>.<HMAC-SHA256 base64> format and reads it back', () => {
    const sid = newSessionId();
    const signed = signSessionId(sid, 'secret');
    const mac = createHmac('sha256', 'secret').update(sid).digest('base64').replace(/=+$/, '');
    expect(signed).toBe(`s:${sid}.${mac}`);
    expect(unsignSessionId(signed, 'secret')).toBe(sid);
  });

  it('refuses a value signed with another secret, an edited id or signature, and unsigned values', () => {
    const signed = signSessionId('abc', 'secret');
    expect(unsignSessionId(signed, 'other')).toBeUndefined();
    expect(unsignSessionId(signed.replace('abc', 'abd'), 'secret')).toBeUndefined();
    expect(unsignSessionId(`${signed.slice(0, -1)}A`, 'secret')).toBeUndefined();
    expect(unsignSessionId('abc', 'secret')).toBeUndefined();
    expect(unsignSessionId('s:abc', 'secret')).toBeUndefined();
  });

  it('remembers only cookies that passed, and starts over when full', () => {
    const verifier = new SessionCookieVerifier('secret', 2);
    const good = encodeURIComponent(signSessionId('one', 'secret'));
    expect(verifier.verify(good)).toEqual({ sid: 'one', key: sessionKey('one') });
    expect(verifier.verify(encodeURIComponent(signSessionId('one', 'forged')))).toBeUndefined();
    expect(verifier.verify('%E0%A4%A')).toBeUndefined();
    for (const sid of ['two', 'three', 'four']) expect(verifier.verify(encodeURIComponent(signSessionId(sid, 'secret')))?.sid).toBe(sid);
    expect(verifier.verify(good)?.sid).toBe('one');
  });

  it('finds a cookie among others, with or without spaces', () => {
    expect(cookieValue('a=1; frontdoor.sid=x%3Ay; b=2', 'frontdoor.sid')).toBe('x%3Ay');
    expect(cookieValue('a=1;frontdoor.sid=z', 'frontdoor.sid')).toBe('z');
    expect(cookieValue('xfrontdoor.sid=z', 'frontdoor.sid')).toBeUndefined();
    expect(cookieValue(undefined, 'frontdoor.sid')).toBeUndefined();
  });

  it('leaves probes, the desktop token API and metadata without a session, and nothing else', () => {
    for (const path of ['/healthz', '/readyz', '/api/desktop/me', '/api/docs-json', '/oauth/token', '/.well-known/openid-configuration']) expect(usesSession(path), path).toBe(false);
    for (const path of ['/servicecenter', '/lifetime', '/api/admin/users', '/healthzz', '/auth/verify', '/desktop/handoff/x', '/device']) expect(usesSession(path), path).toBe(true);
  });
});
