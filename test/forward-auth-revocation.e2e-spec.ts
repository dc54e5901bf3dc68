import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import type { RunningService } from '../src/bootstrap.js';
import type { User } from '../src/users/user.entity.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin, refresh, type DesktopTokens } from './support/desktop-login.js';
import { BACKCHANNEL_LOGOUT_EVENT } from './support/rogue-op.js';
import { ROGUE_CLIENT, startRogueEnvironment, startSecondInstance, type RogueEnvironment } from './support/rogue-service.js';

/** The payload of an assertion (its signature is checked in forward-auth.e2e-spec.ts). */
function claims(assertion: string): { aud: string; roles: string[] } {
  return JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString()) as { aud: string; roles: string[] };
}

const WIKI = 'http://wiki.forward-auth.test';
const REPORTS = 'http://reports.forward-auth.test';
const FORWARD_AUTH = {
  TRUST_PROXY: '127.0.0.1',
  PROTECTED_APPS: JSON.stringify([
    { origin: WIKI, name: 'Wiki' },
    { origin: REPORTS, name: 'Reports', role: 'admin' },
  ]),
};

/**
 * `/auth/verify` reuses the assertion it signed for a session or token and app: whatever ends that
 * session or token, or changes its user, on one instance, the very next check on another instance
 * sharing the database refuses, although that instance had just answered from its cache.
 */
describe('forward auth: revocation is immediate on every instance, cached assertions included', () => {
  let rig: RogueEnvironment;
  let b: { service: RunningService; url: string };
  let user: User;
  let adminToken: string;

  beforeAll(async () => {
    rig = await startRogueEnvironment({}, FORWARD_AUTH);
    user = await rig.users.create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
    await rig.users.create({ email: 'boss@example.com', roles: ['admin'] });
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', 'boss@example.com'], { DATABASE_URL: rig.env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    adminToken = out[0];
    b = await startSecondInstance(rig, FORWARD_AUTH);
  });
  afterAll(async () => {
    await b?.service.close();
    await rig?.close();
  });

  /** A check as a proxy on a TRUST_PROXY address makes it, on instance B, with a cookie or a bearer token. */
  async function verifyOnB(app: string, credentials: { browser?: TestBrowser; token?: string }): Promise<{ status: number; assertion: string | null }> {
    const headers: Record<string, string> = { 'x-original-url': `${app}/page` };
    if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
    const response = credentials.browser ? await credentials.browser.request(`${b.url}/auth/verify`, { headers }) : await fetch(`${b.url}/auth/verify`, { headers });
    await response.arrayBuffer();
    return { status: response.status, assertion: response.headers.get('x-frontdoor-assertion') };
  }

  /** B admits the caller twice, the second time with the very assertion of the first: it came from B's cache. */
  async function cachedOnB(app: string, credentials: { browser?: TestBrowser; token?: string }): Promise<void> {
    const first = await verifyOnB(app, credentials);
    expect(first.status).toBe(200);
    const second = await verifyOnB(app, credentials);
    expect(second).toEqual(first);
  }

  async function signedIn(): Promise<TestBrowser> {
    const browser = new TestBrowser();
    expect((await browser.open(`${rig.env.url}/servicecenter`)).status).toBe(200);
    await cachedOnB(WIKI, { browser });
    return browser;
  }

  async function studio(browser: TestBrowser): Promise<DesktopTokens> {
    const tokens = await desktopLogin(rig.env.url, browser);
    await cachedOnB(WIKI, { token: tokens.accessToken });
    return tokens;
  }

  function onA(path: string, method: string, body?: unknown): Promise<Response> {
    return fetch(`${rig.env.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  function backchannelLogout(claims: { sid?: string; sub?: string }): Promise<Response> {
    return rig.op
      .signLogoutToken({ iss: rig.op.issuer, aud: ROGUE_CLIENT.clientId, iat: Math.floor(Date.now() / 1000), jti: randomBytes(12).toString('hex'), events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...claims })
      .then((logoutToken) =>
        fetch(`${rig.env.url}/auth/backchannel-logout/default`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: logoutToken }).toString(),
        }),
      );
  }

  it('reuses an assertion only for the same session or token and the same app', async () => {
    const browser = await signedIn();
    const tokens = await studio(browser);
    const bySession = await verifyOnB(WIKI, { browser });
    const byToken = await verifyOnB(WIKI, { token: tokens.accessToken });
    expect(byToken.assertion).not.toBe(bySession.assertion);
    const other = await signedIn();
    expect((await verifyOnB(WIKI, { browser: other })).assertion).not.toBe(bySession.assertion);
    // The admin-only app refuses this user, whatever the wiki's cache holds.
    expect((await verifyOnB(REPORTS, { browser })).status).toBe(403);
    expect((await verifyOnB(REPORTS, { token: tokens.accessToken })).status).toBe(403);
  });

  it('logout on A: the next check of the session on B refuses', async () => {
    const browser = await signedIn();
    const home = await browser.open(`${rig.env.url}/servicecenter`);
    expect((await browser.submit(home, {}, '/auth/logout')).status).toBe(200);
    expect((await verifyOnB(WIKI, { browser })).status).toBe(401);
  });

  it('desktop logout on A: the next check of the token on B refuses', async () => {
    const tokens = await studio(await signedIn());
    expect((await fetch(`${rig.env.url}/api/desktop/logout`, { method: 'POST', headers: { authorization: `Bearer ${tokens.accessToken}` } })).status).toBe(204);
    expect(await verifyOnB(WIKI, { token: tokens.accessToken })).toEqual({ status: 401, assertion: null });
  });

  it('back-channel logout on A: the session and the token are refused on B', async () => {
    const browser = await signedIn();
    const tokens = await studio(browser);
    expect((await backchannelLogout({ sid: rig.op.lastSid })).status).toBe(200);
    expect((await verifyOnB(WIKI, { browser })).status).toBe(401);
    expect((await verifyOnB(WIKI, { token: tokens.accessToken })).status).toBe(401);
  });

  it('admin revoke on A (a session, a token, all of them): refused on B', async () => {
    const one = await signedIn();
    const { consoleSessions } = await (await onA(`/api/admin/users/${user.id}/sessions`, 'GET')).json();
    expect((await onA(`/api/admin/sessions/${consoleSessions[0].id}`, 'DELETE')).status).toBe(204);
    expect((await verifyOnB(WIKI, { browser: one })).status).toBe(401);

    const tokens = await studio(await signedIn());
    const { desktopTokens } = await (await onA(`/api/admin/users/${user.id}/sessions`, 'GET')).json();
    expect((await onA(`/api/admin/desktop-tokens/${desktopTokens[0].id}`, 'DELETE')).status).toBe(204);
    expect((await verifyOnB(WIKI, { token: tokens.accessToken })).status).toBe(401);

    const browser = await signedIn();
    const more = await studio(browser);
    expect((await onA(`/api/admin/users/${user.id}/sessions`, 'DELETE')).status).toBe(204);
    expect((await verifyOnB(WIKI, { browser })).status).toBe(401);
    expect((await verifyOnB(WIKI, { token: more.accessToken })).status).toBe(401);
  });

  it('refresh-token reuse on A: the newest access token is refused on B', async () => {
    const first = await desktopLogin(rig.env.url, await signedIn());
    const second = (await (await refresh(rig.env.url, first.refreshToken)).json()) as DesktopTokens;
    await cachedOnB(WIKI, { token: second.accessToken });
    expect((await refresh(rig.env.url, first.refreshToken)).status).toBe(400);
    expect((await verifyOnB(WIKI, { token: second.accessToken })).status).toBe(401);
  });

  it('a role granted and taken away on A: the very next check on B follows it', async () => {
    const browser = await signedIn();
    const tokens = await studio(browser);
    expect((await onA(`/api/admin/users/${user.id}`, 'PATCH', { roles: ['admin'] })).status).toBe(200);
    await cachedOnB(REPORTS, { browser });
    await cachedOnB(REPORTS, { token: tokens.accessToken });
    // Each app gets the assertion made for it, though the wiki's is in the same cache.
    const audience = async (app: string) => claims((await verifyOnB(app, { browser })).assertion!).aud;
    expect([await audience(WIKI), await audience(REPORTS), await audience(WIKI)]).toEqual([WIKI, REPORTS, WIKI]);
    expect((await onA(`/api/admin/users/${user.id}`, 'PATCH', { roles: [] })).status).toBe(200);
    expect((await verifyOnB(REPORTS, { browser })).status).toBe(403);
    expect((await verifyOnB(REPORTS, { token: tokens.accessToken })).status).toBe(403);
    // The wiki asks for no role: still admitted, with an assertion that no longer lists the role.
    const wiki = await verifyOnB(WIKI, { browser });
    expect(wiki.status).toBe(200);
    expect(claims(wiki.assertion!).roles).toEqual([]);
  });

  it('deactivation on A (the path SCIM active:false takes too): the session and the token are refused on B', async () => {
    const browser = await signedIn();
    const tokens = await studio(browser);
    expect((await onA(`/api/admin/users/${user.id}`, 'DELETE')).status).toBe(200);
    expect((await verifyOnB(WIKI, { browser })).status).toBe(401);
    expect((await verifyOnB(WIKI, { token: tokens.accessToken })).status).toBe(401);
    expect((await onA(`/api/admin/users/${user.id}`, 'PATCH', { active: true })).status).toBe(200);
  });
});
