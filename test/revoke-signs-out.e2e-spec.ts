import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { ApiTokensService } from '../src/auth/api-tokens.service.js';
import { TestBrowser, type Page } from './support/browser.js';
import { startRogueEnvironment, type RogueEnvironment } from './support/rogue-service.js';
import { ADMIN, DEVELOPER, isDevIdpLogin, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** The authorization requests a page's redirects went through, as query parameters. */
function authorizationRequests(page: Page, issuer: string): URLSearchParams[] {
  const origin = new URL(issuer).origin;
  return page.hops
    .map((hop) => new URL(hop.location!, hop.url))
    .filter((url) => url.origin === origin && /\/(auth|authorize)$/.test(url.pathname))
    .map((url) => url.searchParams);
}

/**
 * auth_time counts whole seconds, and an authentication in the second of the revocation counts as
 * later: a revocation meant to come after a sign-in waits for the next second.
 */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

/** Reasons of refused logins that named this user or no one (a refusal before a user is known names no one). */
async function auditReasons(env: TestService, userId: string): Promise<string[]> {
  const rows = await env.db.query<{ reason: string | null }>(`SELECT reason FROM audit_events WHERE type = 'login.refused' AND (user_id = $1 OR user_id IS NULL) ORDER BY id`, [userId]);
  return rows.map((row) => row.reason ?? '');
}

/**
 * Revoke means signed out: after an admin ends a user's sessions, the provider's own session must
 * not sign the person straight back in. The development provider is a real oidc-provider.
 */
describe('after an admin revokes, the next sign-in is a fresh authentication at the provider', () => {
  let env: TestService;
  let adminToken: string;
  let developerId: string;

  beforeAll(async () => {
    env = await startTestService();
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', ADMIN.email], { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    adminToken = out[0];
    developerId = (await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]))[0].id;
  });
  afterAll(async () => {
    await env?.close();
  });

  function admin(path: string, method = 'GET'): Promise<Response> {
    return fetch(`${env.url}${path}`, { method, headers: { authorization: `Bearer ${adminToken}` } });
  }

  it('without a revocation the provider session signs the person in again without a login form', async () => {
    const browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
    browser.setCookie('localhost', 'frontdoor.sid', 'gone');
    const again = await browser.open(`${env.url}/servicecenter`);
    expect(again.status).toBe(200);
    expect(authorizationRequests(again, env.service.issuer).map((params) => params.get('prompt'))).toEqual([null]);
  });

  it('after a revoke, the next login in the same browser asks the provider afresh at once (prompt=login&max_age=0)', async () => {
    const browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
    await nextSecond();
    expect((await admin(`/api/admin/users/${developerId}/sessions`, 'DELETE')).status).toBe(204);

    const next = await browser.open(`${env.url}/servicecenter`);
    const requests = authorizationRequests(next, env.service.issuer);
    expect(requests).toHaveLength(1);
    expect(requests[0].get('prompt')).toBe('login');
    expect(requests[0].get('max_age')).toBe('0');
    expect(isDevIdpLogin(next)).toBe(true);
    expect((await env.db.query(`SELECT 1 FROM sessions WHERE user_id = $1`, [developerId])).length).toBe(0);

    const signedIn = await browser.submit(next, { email: DEVELOPER.email, password: DEVELOPER.password });
    expect(signedIn.status).toBe(200);
    expect(new URL(signedIn.url).pathname).toBe('/servicecenter');
  });

  it('sends a callback whose auth_time predates the revocation round with prompt=login&max_age=0, and the provider asks for the password', async () => {
    const browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
    await nextSecond();
    expect((await admin(`/api/admin/users/${developerId}/sessions`, 'DELETE')).status).toBe(204);
    // Without this browser's hint (another browser, cleared cookies) only the callback can tell.
    browser.setCookie('localhost', 'frontdoor.signin', '');

    const next = await browser.open(`${env.url}/servicecenter`);
    const requests = authorizationRequests(next, env.service.issuer);
    expect(requests).toHaveLength(2);
    expect(requests[0].get('max_age')).toBeNull();
    expect(requests[1].get('prompt')).toBe('login');
    expect(requests[1].get('max_age')).toBe('0');
    expect(next.hops.some((hop) => hop.location?.startsWith('/auth/login/default?prompt=login&max_age=0'))).toBe(true);
    expect(isDevIdpLogin(next)).toBe(true);
    expect(await auditReasons(env, developerId)).toContain('reauthentication_required');
    expect((await env.db.query(`SELECT 1 FROM sessions WHERE user_id = $1`, [developerId])).length).toBe(0);

    const signedIn = await browser.submit(next, { email: DEVELOPER.email, password: DEVELOPER.password });
    expect(signedIn.status).toBe(200);
    expect(new URL(signedIn.url).pathname).toBe('/servicecenter');
  });

  it('asks again after a deactivation, even once the user is active again', async () => {
    const browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
    await nextSecond();
    expect((await admin(`/api/admin/users/${developerId}`, 'DELETE')).status).toBe(200);
    const reactivated = await fetch(`${env.url}/api/admin/users/${developerId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ active: true }),
    });
    expect(reactivated.status).toBe(200);
    const next = await browser.open(`${env.url}/servicecenter`);
    expect(isDevIdpLogin(next)).toBe(true);
    expect(authorizationRequests(next, env.service.issuer).at(-1)?.get('max_age')).toBe('0');
  });
});

/** A provider that ignores prompt=login and max_age (the rogue test provider signs in at once, with the auth_time it is given). */
describe('a provider that keeps answering with the authentication from before the revocation', () => {
  let rig: RogueEnvironment;
  let adminToken: string;

  beforeAll(async () => {
    rig = await startRogueEnvironment();
    await rig.users.create({ email: 'boss@example.com', displayName: 'Bo Boss', roles: ['admin'] });
    adminToken = (await rig.env.service.app.get(ApiTokensService).create('boss@example.com')).token;
  });
  afterAll(async () => {
    await rig?.close();
  });

  async function signedInUser(authTime: number): Promise<{ browser: TestBrowser; userId: string }> {
    const email = `user-${randomBytes(4).toString('hex')}@example.com`;
    const user = await rig.users.create({ email, displayName: 'Revoked User' });
    rig.op.email = email;
    rig.op.subject = `sub-${email}`;
    rig.op.extraClaims = { auth_time: authTime };
    const browser = new TestBrowser();
    expect((await browser.open(`${rig.env.url}/servicecenter`)).status).toBe(200);
    return { browser, userId: user.id };
  }

  function revoke(userId: string): Promise<Response> {
    return fetch(`${rig.env.url}/api/admin/users/${userId}/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } });
  }

  it('refuses the second stale callback with a readable page instead of sending the browser round again', async () => {
    const { browser, userId } = await signedInUser(Math.floor(Date.now() / 1000) - 600);
    expect((await revoke(userId)).status).toBe(204);
    browser.setCookie('localhost', 'frontdoor.signin', '');
    const page = await browser.open(`${rig.env.url}/servicecenter`);
    expect(page.status).toBe(403);
    expect(page.body).toContain('Sign in again at your identity provider');
    expect(page.body).toContain('ended by an administrator');
    expect(page.hops.filter((hop) => hop.location?.startsWith('/auth/login/default?prompt=login&max_age=0'))).toHaveLength(1);
    expect(rig.op.lastAuthorizationRequest?.get('prompt')).toBe('login');
    expect(rig.op.lastAuthorizationRequest?.get('max_age')).toBe('0');
    expect(await auditReasons(rig.env, userId)).toEqual(['reauthentication_required', 'reauthentication_failed']);
    expect((await rig.env.db.query(`SELECT 1 FROM sessions WHERE user_id = $1`, [userId])).length).toBe(0);
  });

  it('goes straight to the refusal when the first request already asked afresh and the answer is still the old authentication', async () => {
    const { browser, userId } = await signedInUser(Math.floor(Date.now() / 1000) - 600);
    await nextSecond();
    expect((await revoke(userId)).status).toBe(204);
    const page = await browser.open(`${rig.env.url}/servicecenter`);
    expect(page.status).toBe(403);
    expect(page.body).toContain('Sign in again at your identity provider');
    expect(rig.op.lastAuthorizationRequest?.get('max_age')).toBe('0');
    expect(page.hops.some((hop) => hop.location?.startsWith('/auth/login/'))).toBe(false);
  });

  it('signs in without another round when the provider reports an authentication after the revocation', async () => {
    const { browser, userId } = await signedInUser(Math.floor(Date.now() / 1000) - 600);
    expect((await revoke(userId)).status).toBe(204);
    rig.op.extraClaims = { auth_time: Math.floor(Date.now() / 1000) + 1 };
    const page = await browser.open(`${rig.env.url}/servicecenter`);
    expect(page.status).toBe(200);
    expect(page.hops.some((hop) => hop.location?.startsWith('/auth/login/'))).toBe(false);
  });
});
