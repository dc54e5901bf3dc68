import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin, desktopMe, refresh } from './support/desktop-login.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** Refreshable desktop tokens, and the sessions an admin can see and end. */
describe('sessions an admin can see and end; refreshable desktop tokens', () => {
  let env: TestService;
  let adminToken: string;
  let developerId: string;

  function admin(path: string, method = 'GET'): Promise<Response> {
    return fetch(`${env.url}${path}`, { method, headers: { authorization: `Bearer ${adminToken}` } });
  }

  async function signedIn(account = DEVELOPER): Promise<TestBrowser> {
    const browser = new TestBrowser();
    const page = await signInThroughDevIdp(browser, `${env.url}/servicecenter`, account);
    expect(page.status).toBe(200);
    return browser;
  }

  /** Served from the session, without a new round trip to the provider. */
  async function consoleWorks(browser: TestBrowser): Promise<boolean> {
    const response = await browser.request(`${env.url}/servicecenter`);
    await response.arrayBuffer();
    return response.status === 200;
  }

  async function tableSnapshot(): Promise<string> {
    const sessions = await env.db.query('SELECT id, user_id FROM sessions ORDER BY id');
    const tokens = await env.db.query('SELECT id, token_hash FROM desktop_tokens ORDER BY id');
    const refreshTokens = await env.db.query('SELECT id, used_at FROM desktop_refresh_tokens ORDER BY id');
    return JSON.stringify({ sessions, tokens, refreshTokens });
  }

  beforeAll(async () => {
    env = await startTestService({ DESKTOP_TOKEN_TTL_SECONDS: '60', DESKTOP_REFRESH_TTL_SECONDS: '3600' });
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', ADMIN.email], { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    adminToken = out[0];
    developerId = (await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]))[0].id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('issues a refresh token at redemption, and a refresh rotates both tokens', async () => {
    const first = await desktopLogin(env.url, await signedIn());
    expect(first.expiresIn).toBe(60);
    expect(first.refreshExpiresIn).toBe(3600);
    expect(first.refreshToken).toMatch(/^fdsr_/);
    const response = await refresh(env.url, first.refreshToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const second = await response.json();
    expect(second).toMatchObject({ tokenType: 'Bearer', expiresIn: 60, refreshExpiresIn: 3600, user: { email: DEVELOPER.email } });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await desktopMe(env.url, second.accessToken)).status).toBe(200);
    // The access token the refresh replaced is retired with it.
    expect((await desktopMe(env.url, first.accessToken)).status).toBe(401);
    const stored = await env.db.query<{ token_hash: string }>('SELECT token_hash FROM desktop_refresh_tokens');
    expect(JSON.stringify(stored)).not.toContain(second.refreshToken);
  });

  it('ends the whole family when a used refresh token comes back, with 400 invalid_grant and an audit event', async () => {
    const first = await desktopLogin(env.url, await signedIn());
    const second = await (await refresh(env.url, first.refreshToken)).json();
    const third = await (await refresh(env.url, second.refreshToken)).json();
    const reuse = await refresh(env.url, first.refreshToken);
    expect(reuse.status).toBe(400);
    expect((await reuse.json()).error).toBe('invalid_grant');
    expect((await desktopMe(env.url, third.accessToken)).status).toBe(401);
    expect((await refresh(env.url, third.refreshToken)).status).toBe(400);
    const events = await env.db.query<{ reason: string; user_id: string }>("SELECT reason, user_id FROM audit_events WHERE type = 'token.reuse_detected'");
    expect(events).toContainEqual({ reason: 'refresh_token_reused', user_id: developerId });
  });

  it('gives one new pair when the same refresh token is sent twice at once, and ends the family', async () => {
    const first = await desktopLogin(env.url, await signedIn());
    const answers = await Promise.all([refresh(env.url, first.refreshToken), refresh(env.url, first.refreshToken)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = await answers.find((a) => a.status === 200)!.json();
    expect((await desktopMe(env.url, winner.accessToken)).status).toBe(401);
  });

  it('refuses unknown, malformed and access tokens as refresh tokens, writing nothing', async () => {
    const tokens = await desktopLogin(env.url, await signedIn());
    const before = await tableSnapshot();
    for (const bad of ['fdsr_unknown', tokens.accessToken, '', 42, undefined]) {
      const response = await refresh(env.url, bad);
      expect(response.status).toBe(400);
      expect(['invalid_grant', 'invalid_request']).toContain((await response.json()).error);
    }
    expect(await tableSnapshot()).toBe(before);
  });

  it('refuses a refresh once the user is deactivated', async () => {
    const created = await fetch(`${env.url}/api/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'tmp@example.com' }),
    });
    const user = await created.json();
    const { DesktopTokensService } = await import('../src/desktop-tokens/desktop-tokens.service.js');
    const tokens = await env.service.app.get(DesktopTokensService).issue({ userId: user.id, client: 'service-studio' });
    expect((await admin(`/api/admin/users/${user.id}`, 'DELETE')).status).toBe(200);
    const response = await refresh(env.url, tokens.refreshToken);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_grant');
  });

  it('refuses a refresh once the provider the user signed in through is no longer enabled', async () => {
    await desktopLogin(env.url, await signedIn());
    const families = await env.db.query<{ provider_id: string }>('SELECT DISTINCT provider_id FROM desktop_token_families');
    expect(families).toEqual([{ provider_id: 'default' }]);
    const { DesktopTokensService } = await import('../src/desktop-tokens/desktop-tokens.service.js');
    const tokens = await env.service.app.get(DesktopTokensService).issue({ userId: developerId, client: 'service-studio', providerId: 'retired-provider' });
    const response = await refresh(env.url, tokens.refreshToken);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_grant');
    const [event] = await env.db.query<{ reason: string }>("SELECT reason FROM audit_events WHERE type = 'token.refreshed' ORDER BY id DESC LIMIT 1");
    expect(event.reason).toBe('provider_disabled');
  });

  it('lists console sessions and desktop tokens with when and from where, never a cookie or token value', async () => {
    const browser = await signedIn();
    const tokens = await desktopLogin(env.url, browser, 'integration-studio');
    expect((await desktopMe(env.url, tokens.accessToken)).status).toBe(200);
    const response = await admin(`/api/admin/users/${developerId}/sessions`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.consoleSessions.length).toBeGreaterThan(0);
    expect(Object.keys(body.consoleSessions[0]).sort()).toEqual(['breakGlass', 'createdAt', 'expiresAt', 'id', 'ip', 'lastSeenAt', 'providerId', 'userAgent']);
    expect(body.consoleSessions[0]).toMatchObject({ providerId: 'default', breakGlass: false });
    expect(body.consoleSessions[0].ip).toBeTruthy();
    const listed = body.desktopTokens.find((t: { client: string }) => t.client === 'integration-studio');
    expect(Object.keys(listed).sort()).toEqual(['client', 'createdAt', 'expiresAt', 'id', 'lastUsedAt']);
    expect(listed.lastUsedAt).not.toBeNull();
    const sids = await env.db.query<{ sid: string }>('SELECT sid FROM sessions');
    for (const { sid } of sids) expect(text).not.toContain(sid);
    expect(text).not.toContain(tokens.accessToken);
    expect(text).not.toContain(tokens.refreshToken);
  });

  it('ends one console session by id: its next request is refused, other sessions live on', async () => {
    const doomed = await signedIn();
    const kept = await signedIn();
    const { consoleSessions } = await (await admin(`/api/admin/users/${developerId}/sessions`)).json();
    const newest = consoleSessions[0].id;
    expect((await admin(`/api/admin/sessions/${newest}`, 'DELETE')).status).toBe(204);
    // The newest is `kept`'s (signed in last); whichever it was, exactly one of the two is now out.
    const alive = [await consoleWorks(doomed), await consoleWorks(kept)];
    expect(alive.filter(Boolean)).toHaveLength(1);
    const [event] = await env.db.query<{ type: string; details: { sessionId: string } }>("SELECT type, details FROM audit_events WHERE type = 'admin.session.revoked' ORDER BY id DESC LIMIT 1");
    expect(event.details.sessionId).toBe(newest);
  });

  it('revokes one desktop token by id, its refresh token with it', async () => {
    const tokens = await desktopLogin(env.url, await signedIn());
    const { desktopTokens } = await (await admin(`/api/admin/users/${developerId}/sessions`)).json();
    expect((await admin(`/api/admin/desktop-tokens/${desktopTokens[0].id}`, 'DELETE')).status).toBe(204);
    expect((await desktopMe(env.url, tokens.accessToken)).status).toBe(401);
    expect((await refresh(env.url, tokens.refreshToken)).status).toBe(400);
  });

  it('ends every session and desktop token of a user at once', async () => {
    const browser = await signedIn();
    const tokens = await desktopLogin(env.url, browser);
    expect((await admin(`/api/admin/users/${developerId}/sessions`, 'DELETE')).status).toBe(204);
    expect(await consoleWorks(browser)).toBe(false);
    expect((await desktopMe(env.url, tokens.accessToken)).status).toBe(401);
    const listed = await (await admin(`/api/admin/users/${developerId}/sessions`)).json();
    expect(listed).toEqual({ consoleSessions: [], desktopTokens: [] });
  });

  it('answers 404 for unknown ids and 400 for malformed ones, ending nothing', async () => {
    await signedIn();
    const before = await tableSnapshot();
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const path of [`/api/admin/sessions/${unknown}`, `/api/admin/desktop-tokens/${unknown}`, `/api/admin/users/${unknown}/sessions`]) {
      expect([path, (await admin(path, 'DELETE')).status]).toEqual([path, 404]);
    }
    expect((await admin(`/api/admin/users/${unknown}/sessions`)).status).toBe(404);
    for (const path of ['/api/admin/sessions/not-a-uuid', '/api/admin/desktop-tokens/1', '/api/admin/users/x/sessions']) {
      const response = await admin(path, 'DELETE');
      expect(response.status).toBe(400);
    }
    expect(await tableSnapshot()).toBe(before);
  });

  it('documents the new endpoints in the OpenAPI document', async () => {
    const { paths } = await (await fetch(`${env.url}/api/docs-json`)).json();
    for (const path of [
      '/api/admin/users/{id}/sessions',
      '/api/admin/sessions/{id}',
      '/api/admin/desktop-tokens/{id}',
      '/api/admin/audit',
      '/api/desktop/token/refresh',
      '/auth/backchannel-logout/{providerId}',
    ]) {
      expect(paths, path).toHaveProperty([path]);
    }
  });

  it('refuses the sessions API without an admin token', async () => {
    expect((await fetch(`${env.url}/api/admin/users/${developerId}/sessions`)).status).toBe(401);
    expect((await fetch(`${env.url}/api/admin/users/${developerId}/sessions`, { method: 'DELETE' })).status).toBe(401);
  });

  it('writes api_tokens.last_used_at when an admin token is used, at most once a minute', async () => {
    await admin('/api/admin/users');
    const [first] = await env.db.query<{ last_used_at: Date }>('SELECT last_used_at FROM api_tokens');
    expect(first.last_used_at).toBeInstanceOf(Date);
    await admin('/api/admin/users');
    const [second] = await env.db.query<{ last_used_at: Date }>('SELECT last_used_at FROM api_tokens');
    expect(second.last_used_at.getTime()).toBe(first.last_used_at.getTime());
  });
});
