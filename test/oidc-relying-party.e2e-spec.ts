import { csrfForm } from './support/forms.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from './support/browser.js';
import type { RogueMode } from './support/rogue-op.js';
import { signedInSessions, startRogueEnvironment, visitConsole, type RogueEnvironment } from './support/rogue-service.js';

/**
 * The OpenID Foundation's relying-party conformance cases, played by a provider that misbehaves
 * on purpose. Each refused login must leave no signed-in session behind.
 */
describe('OIDC relying party against a misbehaving provider', () => {
  let rig: RogueEnvironment;

  beforeAll(async () => {
    rig = await startRogueEnvironment({}, { OIDC_JWKS_COOLDOWN_SECONDS: '1' });
    await rig.users.create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => {
    rig.op.mode = 'good-rs256';
    rig.op.subject = 'rogue-sub-1';
    rig.op.email = 'rogue@example.com';
    rig.op.emailVerified = true;
    rig.op.extraClaims = {};
  });

  it('signs in with a good RS256 token, sending state, nonce and PKCE S256', async () => {
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Rory Rogue');
    const authorization = rig.op.lastAuthorizationRequest!;
    expect(authorization.get('state')!.length).toBeGreaterThanOrEqual(43);
    expect(authorization.get('nonce')).toBeTruthy();
    expect(authorization.get('code_challenge_method')).toBe('S256');
    expect(rig.op.lastTokenRequest!.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs in with a good ES256 token', async () => {
    rig.op.mode = 'good-es256';
    expect((await visitConsole(rig.env)).status).toBe(200);
  });

  it.each<RogueMode>([
    'alg-none',
    'bad-sig-rs256',
    'bad-sig-es256',
    'hs256-client-secret',
    'wrong-iss',
    'wrong-aud',
    'multi-aud-no-azp',
    'wrong-azp',
    'wrong-nonce',
    'no-nonce',
    'expired',
    'no-iat',
    'no-sub',
    'iat-in-future',
    'userinfo-bad-sub',
  ])('refuses the login when the provider sends %s, leaving no session', async (mode) => {
    const before = await signedInSessions(rig.env);
    rig.op.mode = mode;
    const browser = new TestBrowser();
    const page = await visitConsole(rig.env, browser);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);
    expect(page.body).not.toContain('Rory Rogue');
    expect(await signedInSessions(rig.env)).toBe(before);
    rig.op.mode = 'good-rs256';
    const retry = await browser.open(`${rig.env.url}/servicecenter`);
    expect(retry.hops[0].location).toMatch(/^\/auth\/login/);
  });

  it('accepts a rotated provider key after one JWKS refetch, and refuses a forged key after its refetch', async () => {
    expect((await visitConsole(rig.env)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const beforeRotation = rig.op.jwksRequests;
    rig.op.mode = 'rotated-key';
    expect((await visitConsole(rig.env)).status).toBe(200);
    expect(rig.op.jwksRequests).toBe(beforeRotation + 1);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    rig.op.mode = 'unknown-kid-forged';
    const before = await signedInSessions(rig.env);
    expect((await visitConsole(rig.env)).status).toBe(403);
    expect(rig.op.jwksRequests).toBe(beforeRotation + 2);
    expect(await signedInSessions(rig.env)).toBe(before);
  });

  it('shows the provider’s access_denied and other errors as readable 4xx pages', async () => {
    rig.op.mode = 'deny';
    const denied = await visitConsole(rig.env);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toMatch(/text\/html/);
    expect(denied.body).toContain('cancelled or denied');

    rig.op.mode = 'server-error';
    const failed = await visitConsole(rig.env);
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.status).toBeLessThan(500);
    expect(failed.body).toContain('server_error');
  });

  describe('state and code attacks', () => {
    /** Starts a login and returns the callback URL the provider sent the browser to, without following it. */
    async function callbackUrl(browser: TestBrowser): Promise<string> {
      const login = await browser.request(`${rig.env.url}/auth/login?returnTo=/servicecenter`);
      const authorize = await browser.request(login.headers.get('location')!);
      return authorize.headers.get('location')!;
    }

    it('refuses a callback without state', async () => {
      const browser = new TestBrowser();
      const callback = new URL(await callbackUrl(browser));
      callback.searchParams.delete('state');
      const before = await signedInSessions(rig.env);
      const page = await browser.open(callback.toString());
      expect(page.status).toBe(400);
      expect(await signedInSessions(rig.env)).toBe(before);
    });

    it('refuses a forged state', async () => {
      const browser = new TestBrowser();
      const callback = new URL(await callbackUrl(browser));
      callback.searchParams.set('state', 'A'.repeat(43));
      const before = await signedInSessions(rig.env);
      expect((await browser.open(callback.toString())).status).toBe(400);
      expect(await signedInSessions(rig.env)).toBe(before);
      expect(rig.op.lastTokenRequest?.get('code')).not.toBe(callback.searchParams.get('code'));
    });

    it('refuses a state from another browser’s session (login CSRF)', async () => {
      const attacker = new TestBrowser();
      const victim = new TestBrowser();
      const callback = await callbackUrl(attacker);
      await victim.open(`${rig.env.url}/`);
      const before = await signedInSessions(rig.env);
      expect((await victim.open(callback)).status).toBe(400);
      expect(await signedInSessions(rig.env)).toBe(before);
    });

    it('refuses an authorization response that names another issuer (RFC 9207)', async () => {
      const browser = new TestBrowser();
      const callback = new URL(await callbackUrl(browser));
      callback.searchParams.set('iss', 'https://impostor.example');
      const before = await signedInSessions(rig.env);
      const tokenRequests = rig.op.tokenRequests;
      expect((await browser.open(callback.toString())).status).toBe(400);
      expect(rig.op.tokenRequests).toBe(tokenRequests);
      expect(await signedInSessions(rig.env)).toBe(before);
    });

    it('refuses a replayed callback (state used once)', async () => {
      const browser = new TestBrowser();
      const callback = await callbackUrl(browser);
      expect((await browser.open(callback)).status).toBe(200);
      const before = await signedInSessions(rig.env);
      const tokenRequests = rig.op.tokenRequests;
      expect((await browser.open(callback)).status).toBe(400);
      expect(rig.op.tokenRequests).toBe(tokenRequests);
      expect(await signedInSessions(rig.env)).toBe(before);
    });

    it('refuses a replayed code under a fresh state (the provider says invalid_grant)', async () => {
      const browser = new TestBrowser();
      const first = new URL(await callbackUrl(browser));
      expect((await browser.open(first.toString())).status).toBe(200);
      const attacker = new TestBrowser();
      const second = new URL(await callbackUrl(attacker));
      second.searchParams.set('code', first.searchParams.get('code')!);
      const before = await signedInSessions(rig.env);
      const page = await attacker.open(second.toString());
      expect(page.status).toBe(400);
      expect(page.body).toContain('refused to complete this sign-in');
      expect(await signedInSessions(rig.env)).toBe(before);
    });
  });
});

describe('JWKS refetch rate limit', () => {
  it('refuses forged keys within the cooldown without fetching the JWKS again', async () => {
    // The default cooldown (30 s) outlasts this test, so the count cannot depend on the machine's speed.
    const rig = await startRogueEnvironment();
    try {
      await rig.users.create({ email: 'rogue@example.com' });
      expect((await visitConsole(rig.env)).status).toBe(200);
      const fetched = rig.op.jwksRequests;
      rig.op.mode = 'unknown-kid-forged';
      for (let i = 0; i < 3; i++) expect((await visitConsole(rig.env)).status).toBe(403);
      expect(rig.op.jwksRequests).toBe(fetched);
      expect(await signedInSessions(rig.env)).toBe(1);
    } finally {
      await rig.close();
    }
  });
});

describe('OIDC discovery', () => {
  it('does not use a discovery document whose issuer differs from OIDC_ISSUER', async () => {
    const rig = await startRogueEnvironment({ discoveryIssuer: 'https://impostor.example' });
    try {
      const ready = await fetch(`${rig.env.url}/readyz`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).reason).toContain('issuer_mismatch');
      const page = await visitConsole(rig.env);
      expect(page.status).toBe(503);
      expect(page.body).toContain('cannot be used right now');
      expect(rig.op.lastAuthorizationRequest).toBeUndefined();
    } finally {
      await rig.close();
    }
  });

  it('sends a random state to end_session (Glewlwyd returns the browser only then), and the signed-out page takes it back', async () => {
    const rig = await startRogueEnvironment();
    try {
      await rig.users.create({ email: 'rogue@example.com' });
      const browser = new TestBrowser();
      const states: string[] = [];
      for (let i = 0; i < 2; i++) {
        const signedIn = await visitConsole(rig.env, browser);
        expect(signedIn.status).toBe(200);
        const logout = await browser.request(`${rig.env.url}/auth/logout`, { method: 'POST', ...csrfForm(signedIn.body) });
        expect(logout.status).toBe(303);
        const signedOut = await browser.open(new URL(logout.headers.get('location')!, rig.env.url).toString());
        const state = rig.op.lastLogoutRequest!.get('state')!;
        expect(state).toMatch(/^[A-Za-z0-9_-]{22,}$/);
        states.push(state);
        expect(signedOut.url).toBe(`${rig.env.url}/auth/signed-out?state=${state}`);
        expect(signedOut.status).toBe(200);
        expect(signedOut.body).toContain('You are signed out');
      }
      expect(states[0]).not.toBe(states[1]);
    } finally {
      await rig.close();
    }
  });

  it('works with a provider that advertises neither PKCE nor an end_session_endpoint', async () => {
    const rig = await startRogueEnvironment({ pkce: false, endSession: false });
    try {
      await rig.users.create({ email: 'rogue@example.com' });
      const browser = new TestBrowser();
      const signedIn = await visitConsole(rig.env, browser);
      expect(signedIn.status).toBe(200);
      expect(rig.op.lastAuthorizationRequest!.get('code_challenge')).toBeNull();
      const logout = await browser.request(`${rig.env.url}/auth/logout`, { method: 'POST', ...csrfForm(signedIn.body) });
      expect(logout.status).toBe(303);
      expect(logout.headers.get('location')).toBe('/auth/signed-out');
      const after = await browser.request(`${rig.env.url}/servicecenter`);
      expect(after.status).toBe(302);
    } finally {
      await rig.close();
    }
  });
});
