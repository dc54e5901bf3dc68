import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { AuditTrailService } from '../src/audit/audit-trail.service.js';
import { AuditService } from '../src/audit/audit.service.js';
import { IdentityProviderRegistry } from '../src/identity-providers/identity-provider.registry.js';
import { ENVIRONMENT_PROVIDER_ID } from '../src/identity-providers/provider-urls.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin, refresh, startHandoff } from './support/desktop-login.js';
import { clickOpen } from './support/forms.js';
import { ADMIN, confirmProviderLogout, DEVELOPER, signInThroughDevIdp, startTestService, STRANGER, type TestService } from './support/service.js';

const SESSION_SECRET = 'audit-test-session-secret-0123456789';

describe('audit trail', () => {
  let env: TestService;
  let adminToken: string;
  /** Every token, code, secret and cookie value the flows below handle. */
  const secrets = new Set<string>();

  function admin(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${adminToken}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(`${env.url}${path}`, { ...init, headers });
  }

  /** Session ids (the cookie values) and the ID tokens kept in them. */
  async function collectSessionSecrets(): Promise<void> {
    const rows = await env.db.query<{ sid: string; id_token: string | null }>("SELECT sid, data->>'idToken' AS id_token FROM sessions");
    for (const row of rows) {
      secrets.add(row.sid);
      if (row.id_token) secrets.add(row.id_token);
    }
  }

  beforeAll(async () => {
    env = await startTestService({ SESSION_SECRET });
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', ADMIN.email], { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    adminToken = out[0];
    secrets.add(adminToken);
    secrets.add(SESSION_SECRET);
    const registry = env.service.app.get(IdentityProviderRegistry);
    const { clientSecret } = registry.probeTarget(registry.get(ENVIRONMENT_PROVIDER_ID));
    expect(clientSecret).toBeTruthy();
    secrets.add(clientSecret!);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('records every flow, with the reason of each refusal, and never a token, code, secret or cookie value', async () => {
    // Console sign-in, a refused one, and a logout through the provider.
    const developer = new TestBrowser();
    expect((await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
    const stranger = new TestBrowser();
    expect((await signInThroughDevIdp(stranger, `${env.url}/servicecenter`, STRANGER)).status).toBe(403);
    await collectSessionSecrets();

    // A Studio sign-in, its refresh, a reuse, a refused redemption, a cancelled handoff.
    const tokens = await desktopLogin(env.url, developer);
    secrets.add(tokens.accessToken).add(tokens.refreshToken);
    const refreshed = await (await refresh(env.url, tokens.refreshToken)).json();
    secrets.add(refreshed.accessToken).add(refreshed.refreshToken);
    expect((await refresh(env.url, tokens.refreshToken)).status).toBe(400);
    const verifier = randomBytes(32).toString('base64url');
    secrets.add(verifier);
    const handoff = await (
      await fetch(`${env.url}/api/desktop/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: 'integration-studio', codeChallenge: createHash('sha256').update(verifier).digest('base64url'), codeChallengeMethod: 'S256' }),
      })
    ).json();
    const page = await developer.open(handoff.browserUrl);
    const code = (await clickOpen(developer, page)).href.searchParams.get('code')!;
    secrets.add(code);
    const wrong = await fetch(`${env.url}/api/desktop/handoffs/${handoff.id}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, codeVerifier: randomBytes(32).toString('base64url') }),
    });
    expect(wrong.status).toBe(400);
    const cancelled = await developer.submit(page, {}, '/cancel');
    expect(cancelled.status).toBe(200);

    // Administration.
    const created = await (await admin('/api/admin/users', { method: 'POST', body: JSON.stringify({ email: 'temp@example.com' }) })).json();
    expect((await admin(`/api/admin/users/${created.id}`, { method: 'PATCH', body: JSON.stringify({ roles: ['admin'] }) })).status).toBe(200);
    expect((await admin(`/api/admin/users/${created.id}`, { method: 'DELETE' })).status).toBe(200);
    const other = new TestBrowser();
    expect((await signInThroughDevIdp(other, `${env.url}/servicecenter`, ADMIN)).status).toBe(200);
    await collectSessionSecrets();
    const adminId = (await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]))[0].id;
    expect((await admin(`/api/admin/users/${adminId}/sessions`, { method: 'DELETE' })).status).toBe(204);

    // Logout here (and, through the provider, its back-channel call back to us).
    const home = await developer.open(`${env.url}/servicecenter`);
    const loggedOut = await confirmProviderLogout(developer, await developer.submit(home, {}, '/auth/logout'));
    expect(loggedOut.url).toMatch(new RegExp(`^${env.url}/auth/signed-out\\?state=[\\w-]+$`));

    const rows = await env.db.query<{ type: string; outcome: string; reason: string | null }>('SELECT type, outcome, reason FROM audit_events ORDER BY id');
    const seen = new Set(rows.map((row) => `${row.type}:${row.outcome}${row.reason ? `:${row.reason}` : ''}`));
    for (const expected of [
      'login.succeeded:success',
      'login.refused:failure:not_registered',
      'logout:success',
      'handoff.created:success',
      'handoff.authenticated:success',
      'handoff.redeemed:success',
      'handoff.redeemed:failure:invalid_grant',
      'handoff.cancelled:success',
      'token.refreshed:success',
      'token.reuse_detected:failure:refresh_token_reused',
      'admin.user.created:success',
      'admin.user.updated:success',
      'admin.user.deactivated:success',
      'admin.session.revoked:success',
    ]) {
      expect(seen, expected).toContain(expected);
    }

    const table = JSON.stringify(await env.db.query('SELECT * FROM audit_events'));
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(table.includes(secret), `a secret value of ${secret.length} characters is in the audit table`).toBe(false);
    }
  });

  it('records a handoff denied by a refused sign-in or by too many wrong codes, with the reason', async () => {
    const denials = (id: string) =>
      env.db.query<{ outcome: string; reason: string }>("SELECT outcome, reason FROM audit_events WHERE type = 'handoff.denied' AND details->>'handoffId' = $1", [id]);

    const refused = await startHandoff(env.url);
    expect((await signInThroughDevIdp(new TestBrowser(), refused.browserUrl, STRANGER)).status).toBe(403);
    expect(await denials(refused.id)).toEqual([{ outcome: 'failure', reason: 'not_registered' }]);

    const guessed = await startHandoff(env.url);
    const browser = new TestBrowser();
    await clickOpen(browser, await signInThroughDevIdp(browser, guessed.browserUrl, DEVELOPER));
    for (let i = 0; i < 5; i++) {
      const wrong = await fetch(`${env.url}/api/desktop/handoffs/${guessed.id}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: `wrong-${i}`.padEnd(43, 'x'), codeVerifier: guessed.verifier }),
      });
      expect(wrong.status).toBe(400);
    }
    expect(await denials(guessed.id)).toEqual([{ outcome: 'failure', reason: 'too_many_attempts' }]);
  });

  it('carries the request id, address and user agent of the request that caused the event', async () => {
    const response = await fetch(`${env.url}/api/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'x-request-id': 'trace-abc-123', 'user-agent': 'audit-test/1.0' },
      body: JSON.stringify({ email: 'traced@example.com' }),
    });
    expect(response.status).toBe(201);
    const [event] = await env.db.query<{ request_id: string; user_agent: string; ip: string; email: string }>(
      "SELECT request_id, user_agent, ip, email FROM audit_events WHERE type = 'admin.user.created' ORDER BY id DESC LIMIT 1",
    );
    expect(event).toMatchObject({ request_id: 'trace-abc-123', user_agent: 'audit-test/1.0', email: 'traced@example.com' });
    expect(event.ip).toMatch(/127\.0\.0\.1|::1/);
  });

  it('serves the trail newest first with filters, and a cursor that neither skips nor repeats under concurrent inserts', async () => {
    const writer = env.service.app.get(AuditService);
    const userId = '11111111-1111-4111-8111-111111111111';
    for (let i = 0; i < 25; i++) await writer.record({ type: 'admin.provider.tested', userId, details: { n: i } });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ type: 'admin.provider.tested', userId, limit: '7', ...(cursor ? { cursor } : {}) });
      const response = await admin(`/api/admin/audit?${query}`);
      expect(response.status).toBe(200);
      const body = await response.json();
      seen.push(...body.events.map((event: { details: { n: number } }) => event.details.n));
      cursor = body.nextCursor;
      // New events arriving while someone pages belong before the first page, never inside later ones.
      await Promise.all([1, 2, 3].map(() => writer.record({ type: 'admin.provider.tested', userId, details: { n: 1000 } })));
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual([...Array(25).keys()].reverse());

    const all = await (await admin(`/api/admin/audit?limit=200`)).json();
    expect(all.events[0]).toMatchObject({ type: 'admin.provider.tested', outcome: 'success' });
    expect(Object.keys(all.events[0])).toEqual(expect.arrayContaining(['id', 'at', 'type', 'outcome', 'ip', 'userAgent', 'requestId', 'details']));
    const until = (await admin(`/api/admin/audit?until=2000-01-01T00:00:00Z`)).json();
    expect((await until).events).toEqual([]);
  });

  it('refuses malformed filters with 400 JSON', async () => {
    for (const query of ['type=nope', 'userId=x', 'since=yesterday', 'limit=0', 'limit=500', 'cursor=garbage']) {
      const response = await admin(`/api/admin/audit?${query}`);
      expect(response.status, query).toBe(400);
      expect((await response.json()).error).toBe('invalid_query');
    }
    expect((await fetch(`${env.url}/api/admin/audit`)).status).toBe(401);
  });

  it('drops events older than AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    await env.db.query(
      `INSERT INTO audit_events (at, type, outcome, ip, user_agent, request_id) VALUES
         (now() - interval '91 days', 'logout', 'success', '', '', 'old'),
         (now() - interval '89 days', 'logout', 'success', '', '', 'kept')`,
    );
    expect(await env.service.app.get(AuditTrailService).prune()).toBe(1);
    const left = await env.db.query<{ request_id: string }>("SELECT request_id FROM audit_events WHERE request_id IN ('old', 'kept')");
    expect(left).toEqual([{ request_id: 'kept' }]);
  });
});
