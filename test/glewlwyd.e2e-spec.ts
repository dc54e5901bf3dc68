import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { UsersService } from '../src/users/users.service.js';
import { TestBrowser, type Page } from './support/browser.js';
import { csrfForm } from './support/forms.js';
import { confirmGlewlwydLogout, endGlewlwydSession, GLEWLWYD_CLIENT, GLEWLWYD_USER, signInOnGlewlwyd, startGlewlwyd, type RunningGlewlwyd } from './support/glewlwyd.js';
import { freePort } from './support/ports.js';
import { startTestService, type TestService } from './support/service.js';
import { GLEWLWYD, lacks, SQLITE3 } from './support/system-packages.js';

const PROVIDER_ID = 'glewlwyd';

interface ProbeStep {
  step: string;
  ok: boolean;
  code: string;
  message: string;
}

/**
 * Interoperability with an OpenID Provider this project did not write: Debian's Glewlwyd 2.7.5, run
 * as a child process and added at runtime beside the development provider. Glewlwyd bends the
 * specifications in three places the service must accept: 403 `invalid_code` for an unknown code,
 * logout tokens typed `JWT`, and no way back after end_session unless `state` is sent.
 */
describe.skipIf(lacks(GLEWLWYD, SQLITE3))('Glewlwyd 2.7.5 as an identity provider (a real one, not written for these tests)', () => {
  let env: TestService;
  let glewlwyd: RunningGlewlwyd;
  let token: string;

  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${env.url}/api/admin/identity-providers${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });

  beforeAll(async () => {
    const port = await freePort();
    glewlwyd = await startGlewlwyd({ serviceUrl: `http://localhost:${port}`, providerId: PROVIDER_ID });
    env = await startTestService({ PORT: String(port), OIDC_HTTP_TIMEOUT_MS: '3000' });
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', 'admin@example.com'], { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => undefined })).toBe(0);
    token = out[0];
    await env.service.app.get(UsersService).create({ email: GLEWLWYD_USER.email, displayName: GLEWLWYD_USER.name });
    const created = await admin('', {
      method: 'POST',
      // The default scopes (openid profile email): Glewlwyd has only openid and grants that; email and
      // name come with it (its plugin's claim settings). Glewlwyd sends no email_verified: its emails
      // are trusted (trustEmail) inside the domain it serves, as a deployment would set it.
      json: {
        id: PROVIDER_ID,
        displayName: 'Glewlwyd',
        issuer: glewlwyd.issuer,
        clientId: GLEWLWYD_CLIENT.clientId,
        clientSecret: GLEWLWYD_CLIENT.clientSecret,
        trustEmail: true,
        emailDomains: ['example.com'],
      },
    });
    expect(created.status, await created.clone().text()).toBe(201);
  });
  afterAll(async () => {
    await env?.close();
    await glewlwyd?.close();
  });

  /** Fails with Glewlwyd's log, which says why it refused something. */
  function withLog(message: string): string {
    return `${message}\nglewlwyd's log (end):\n${glewlwyd.log().slice(-3000)}`;
  }

  async function signIn(browser: TestBrowser): Promise<Page> {
    const loginPage = await browser.open(`${env.url}/auth/login/${PROVIDER_ID}?returnTo=${encodeURIComponent('/servicecenter')}`);
    expect(loginPage.status).toBe(200);
    expect(new URL(loginPage.url).origin).toBe(glewlwyd.url);
    expect(loginPage.body).toContain('login.js');
    return signInOnGlewlwyd(browser, loginPage);
  }

  async function providerSessions(sid?: string): Promise<{ provider_sid: string }[]> {
    return env.db.query<{ provider_sid: string }>(
      `SELECT s.provider_sid FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.provider_id = $2${sid ? ' AND s.provider_sid = $3' : ''}`,
      sid ? [GLEWLWYD_USER.email, PROVIDER_ID, sid] : [GLEWLWYD_USER.email, PROVIDER_ID],
    );
  }

  it('passes every step of the Test, reading Glewlwyd\'s 403 invalid_code to the dummy code as accepted credentials', async () => {
    const response = await admin(`/${PROVIDER_ID}/test`, { method: 'POST' });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { ok: boolean; steps: ProbeStep[] };
    expect(result.steps.map((step) => [step.step, step.code])).toEqual([
      ['discovery', 'discovery_ok'],
      ['issuer', 'issuer_ok'],
      ['endpoints', 'endpoints_ok'],
      ['jwks', 'jwks_ok'],
      ['client', 'client_ok'],
    ]);
    expect(result.ok).toBe(true);
    const client = result.steps.find((step) => step.step === 'client')!;
    expect(client.message).toContain('invalid_code');
    expect(client.message).toContain(`${env.url}/auth/callback/${PROVIDER_ID}`);
  });

  it('fails the Test\'s client step with a wrong secret (Glewlwyd answers 403 unauthorized_client)', async () => {
    const response = await admin('/test', {
      method: 'POST',
      json: { id: PROVIDER_ID, issuer: glewlwyd.issuer, clientId: GLEWLWYD_CLIENT.clientId, clientSecret: 'not-the-secret-0123456789' },
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { ok: boolean; steps: ProbeStep[] };
    expect(result.ok).toBe(false);
    expect(result.steps.find((step) => step.step === 'client')).toMatchObject({ ok: false, code: 'client_not_allowed' });
    expect(result.steps.filter((step) => step.step !== 'client').every((step) => step.ok)).toBe(true);
  });

  it('signs in through Glewlwyd\'s login page to a console session', async () => {
    const browser = new TestBrowser();
    const landed = await signIn(browser);
    expect(landed.status, withLog(`ended at ${landed.url}: ${landed.body.slice(0, 500)}`)).toBe(200);
    expect(landed.url).toBe(`${env.url}/servicecenter`);
    expect(landed.hops.some((hop) => hop.url.startsWith(`${env.url}/auth/callback/${PROVIDER_ID}?`))).toBe(true);
    const sessions = await providerSessions();
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((session) => session.provider_sid)).toBe(true);
    // The session serves the console without another round trip to Glewlwyd.
    const again = await browser.open(`${env.url}/servicecenter`);
    expect(again.status).toBe(200);
    expect(again.hops).toEqual([]);
  });

  it('logs out through Glewlwyd\'s end_session and comes back to /auth/signed-out with the state', async () => {
    const browser = new TestBrowser();
    const signedIn = await signIn(browser);
    expect(signedIn.status, withLog(`ended at ${signedIn.url}`)).toBe(200);
    const form = csrfForm(signedIn.body);
    const logout = await browser.request(`${env.url}/auth/logout`, { method: 'POST', body: form.body, headers: { ...form.headers, origin: env.url } });
    expect(logout.status).toBe(303);
    const endSession = new URL(logout.headers.get('location')!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${glewlwyd.issuer}/end_session`);
    const state = endSession.searchParams.get('state');
    expect(state).toBeTruthy();

    // Without the state, Glewlwyd's end-session page would have no way back to give (and would stay put).
    const stateless = new URL(endSession);
    stateless.searchParams.delete('state');
    const dead = await browser.open(stateless.toString());
    expect(new URL(dead.url).pathname).toBe('/login.html');
    expect(new URL(dead.url).searchParams.get('post_redirect_to')).toBeNull();

    const prompt = await browser.open(endSession.toString());
    expect(prompt.status).toBe(200);
    expect(new URL(prompt.url).pathname).toBe('/login.html');
    // Glewlwyd hands its page the way back only because end_session had a state.
    expect(new URL(prompt.url).searchParams.get('post_redirect_to')).toBe(`${env.url}/auth/signed-out`);
    const signedOut = await confirmGlewlwydLogout(browser, prompt);
    expect(signedOut.url).toBe(`${env.url}/auth/signed-out?state=${state}`);
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).toContain('You are signed out');

    const after = await browser.open(`${env.url}/servicecenter`);
    expect(new URL(after.url).origin).toBe(glewlwyd.url);
  });

  it('ends the console session when Glewlwyd ends its session and posts a back-channel logout token (typ JWT)', async () => {
    const browser = new TestBrowser();
    const before = (await providerSessions()).map((session) => session.provider_sid);
    expect((await signIn(browser)).status).toBe(200);
    const [{ last }] = await env.db.query<{ last: string }>("SELECT coalesce(max(id), 0) AS last FROM audit_events WHERE type = 'logout.backchannel'");
    const sid = (await providerSessions()).map((session) => session.provider_sid).find((each) => !before.includes(each));
    expect(sid).toBeTruthy();

    await endGlewlwydSession(browser, glewlwyd, sid!);
    // Glewlwyd posts the token from a thread of its own after answering.
    const deadline = Date.now() + 10_000;
    while ((await providerSessions(sid)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await providerSessions(sid)).length, withLog('the session is still there')).toBe(0);
    const events = await env.db.query<{ outcome: string }>("SELECT outcome FROM audit_events WHERE type = 'logout.backchannel' AND id > $1", [last]);
    expect(events).toEqual([{ outcome: 'success' }]);
    const after = await browser.open(`${env.url}/servicecenter`);
    expect(new URL(after.url).origin).toBe(glewlwyd.url);
  });
});
