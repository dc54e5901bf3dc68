import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import type { RunningService } from '../src/bootstrap.js';
import type { User } from '../src/users/user.entity.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin, desktopMe, refresh, type DesktopTokens } from './support/desktop-login.js';
import { BACKCHANNEL_LOGOUT_EVENT } from './support/rogue-op.js';
import { ROGUE_CLIENT, startRogueEnvironment, startSecondInstance, type RogueEnvironment } from './support/rogue-service.js';

/**
 * Whatever ends a session or a token on one instance, the very next request on another instance
 * sharing the database is refused: nothing about revocation lives in one process's memory. Both
 * instances run with their session, user and token caches on (the default): B has just served, and
 * so cached, what A then ends.
 */
describe('revocation is immediate on every instance', () => {
  let rig: RogueEnvironment;
  let b: { service: RunningService; url: string };
  let user: User;
  let adminToken: string;

  beforeAll(async () => {
    rig = await startRogueEnvironment();
    user = await rig.users.create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
    await rig.users.create({ email: 'boss@example.com', roles: ['admin'] });
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', 'boss@example.com'], { DATABASE_URL: rig.env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    adminToken = out[0];
    b = await startSecondInstance(rig);
  });
  afterAll(async () => {
    await b?.service.close();
    await rig?.close();
  });

  /** Signed in on instance A, and (same cookie) served, so cached, by instance B. */
  async function signedIn(): Promise<TestBrowser> {
    const browser = new TestBrowser();
    expect((await browser.open(`${rig.env.url}/servicecenter`)).status).toBe(200);
    expect(await servedOnB(browser)).toBe(true);
    expect(await servedOnB(browser)).toBe(true);
    return browser;
  }

  /** A Studio signed in through A whose access token B has just served (and cached). */
  async function studioKnownToB(browser: TestBrowser): Promise<DesktopTokens> {
    const tokens = await desktopLogin(rig.env.url, browser);
    for (let i = 0; i < 2; i++) expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(200);
    return tokens;
  }

  function backchannelLogout(claims: { sid?: string; sub?: string }): Promise<Response> {
    return rig.op
      .signLogoutToken({
        iss: rig.op.issuer,
        aud: ROGUE_CLIENT.clientId,
        iat: Math.floor(Date.now() / 1000),
        jti: randomBytes(12).toString('hex'),
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        ...claims,
      })
      .then((logoutToken) =>
        fetch(`${rig.env.url}/auth/backchannel-logout/default`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: logoutToken }).toString(),
        }),
      );
  }

  /** B serves the console from the session, with no redirect to a new login. */
  async function servedOnB(browser: TestBrowser): Promise<boolean> {
    const response = await browser.request(`${b.url}/servicecenter`);
    await response.arrayBuffer();
    return response.status === 200;
  }

  function onA(path: string, method: string, body?: unknown): Promise<Response> {
    return fetch(`${rig.env.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  it('logout on A: the session is refused on B', async () => {
    const browser = await signedIn();
    const home = await browser.open(`${rig.env.url}/servicecenter`);
    const out = await browser.submit(home, {}, '/auth/logout');
    expect(out.status).toBe(200);
    expect(await servedOnB(browser)).toBe(false);
  });

  it('desktop logout on A: the token is refused on B', async () => {
    const tokens = await studioKnownToB(await signedIn());
    expect((await fetch(`${rig.env.url}/api/desktop/logout`, { method: 'POST', headers: { authorization: `Bearer ${tokens.accessToken}` } })).status).toBe(204);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);
    expect((await refresh(b.url, tokens.refreshToken)).status).toBe(400);
  });

  it('back-channel logout by sid on A: the session and the desktop token are refused on B', async () => {
    const browser = await signedIn();
    const tokens = await studioKnownToB(browser);
    const response = await backchannelLogout({ sid: rig.op.lastSid });
    expect(response.status).toBe(200);
    expect(await servedOnB(browser)).toBe(false);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);
    expect((await refresh(b.url, tokens.refreshToken)).status).toBe(400);
  });

  it('back-channel logout by sub alone on A: every session and desktop token of the user is refused on B', async () => {
    const first = await signedIn();
    const second = await signedIn();
    const tokens = await studioKnownToB(second);
    const response = await backchannelLogout({ sub: rig.op.subject });
    expect(response.status).toBe(200);
    expect(await servedOnB(first)).toBe(false);
    expect(await servedOnB(second)).toBe(false);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);
    expect((await refresh(b.url, tokens.refreshToken)).status).toBe(400);
  });

  it('admin revoke on A (one session, one desktop token, all): refused on B', async () => {
    const one = await signedIn();
    const { consoleSessions } = await (await onA(`/api/admin/users/${user.id}/sessions`, 'GET')).json();
    expect((await onA(`/api/admin/sessions/${consoleSessions[0].id}`, 'DELETE')).status).toBe(204);
    expect(await servedOnB(one)).toBe(false);

    const tokens = await studioKnownToB(await signedIn());
    const { desktopTokens } = await (await onA(`/api/admin/users/${user.id}/sessions`, 'GET')).json();
    expect((await onA(`/api/admin/desktop-tokens/${desktopTokens[0].id}`, 'DELETE')).status).toBe(204);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);

    const browser = await signedIn();
    const more = await studioKnownToB(browser);
    expect((await onA(`/api/admin/users/${user.id}/sessions`, 'DELETE')).status).toBe(204);
    expect(await servedOnB(browser)).toBe(false);
    expect((await desktopMe(b.url, more.accessToken)).status).toBe(401);
  });

  it('refresh-token reuse on A: the newest access token is refused on B', async () => {
    const first = await desktopLogin(rig.env.url, await signedIn());
    const second = await (await refresh(rig.env.url, first.refreshToken)).json();
    for (let i = 0; i < 2; i++) expect((await desktopMe(b.url, second.accessToken)).status).toBe(200);
    expect((await refresh(rig.env.url, first.refreshToken)).status).toBe(400);
    expect((await desktopMe(b.url, second.accessToken)).status).toBe(401);
    expect((await refresh(b.url, second.refreshToken)).status).toBe(400);
  });

  it('deactivation on A: the session, the desktop token and its refresh are refused on B', async () => {
    const browser = await signedIn();
    const tokens = await studioKnownToB(browser);
    expect((await onA(`/api/admin/users/${user.id}`, 'DELETE')).status).toBe(200);
    expect(await servedOnB(browser)).toBe(false);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);
    expect((await refresh(b.url, tokens.refreshToken)).status).toBe(400);
    expect((await onA(`/api/admin/users/${user.id}`, 'PATCH', { active: true })).status).toBe(200);
  });
});
