import { createServer, type Server, type Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { startService, type RunningService } from '../src/bootstrap.js';
import { startDevIdp, type DevIdp } from '../src/dev-idp/dev-idp.js';
import { ProviderHealthService } from '../src/identity-providers/provider-health.service.js';
import { UsersService } from '../src/users/users.service.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin, refresh } from './support/desktop-login.js';
import { freePort } from './support/ports.js';
import { startRogueOp, type RogueOp } from './support/rogue-op.js';
import { SECOND, startSecondProvider } from './support/second-provider.js';
import { DEVELOPER, signInThroughDevIdp, startInProductionWithoutEncryptionKey, startTestService, TEST_ENCRYPTION_KEY, type TestService } from './support/service.js';

const ROGUE = { clientId: 'front-door-rogue', first: 'rogue-secret-one-0123456789', second: 'rogue-secret-two-0123456789' };

/** Waits (at most `ms`) for a condition that another instance makes true; returns whether it did. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('identity providers managed at runtime', () => {
  let a: TestService;
  let b: RunningService;
  let bUrl: string;
  let second: DevIdp;
  let rogue: RogueOp;
  let silent: Server;
  const silentSockets = new Set<Socket>();
  let silentUrl: string;
  let token: string;

  function api(base: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${base}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  }
  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) => api(a.url, `/api/admin/identity-providers${path}`, init);

  async function rows(): Promise<{ id: string; version: number; client_secret_encrypted: string | null; enabled: boolean; issuer: string }[]> {
    return a.db.query('SELECT id, version, client_secret_encrypted, enabled, issuer FROM identity_providers ORDER BY id');
  }
  async function auditCount(type: string): Promise<number> {
    return Number((await a.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE type = $1', [type]))[0].n);
  }
  async function providersSeenBy(base: string): Promise<string[]> {
    const body = await (await fetch(`${base}/api/desktop/environment`)).json();
    return body.authentication.providers.map((provider: { id: string }) => provider.id);
  }

  const secondProvider = () => ({
    id: 'second',
    displayName: 'Second Provider',
    issuer: second.issuer,
    clientId: SECOND.clientId,
    clientSecret: SECOND.clientSecret,
    // Also the domain of the development provider's demo accounts, which sign in through it below.
    emailDomains: ['second.example', 'example.com'],
  });

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    [second, rogue] = await Promise.all([
      startSecondProvider(publicUrl),
      startRogueOp({ clientId: ROGUE.clientId, clientSecret: ROGUE.first }),
    ]);
    a = await startTestService({ PORT: String(port), OIDC_HTTP_TIMEOUT_MS: '1500' });
    const bPort = await freePort();
    // A second instance on the same database behind the same host name, as behind a load balancer.
    b = await startService({
      PORT: String(bPort),
      PUBLIC_URL: a.url,
      DATABASE_URL: a.db.url,
      OIDC_ISSUER: a.service.issuer,
      OIDC_CLIENT_ID: 'front-door',
      OIDC_CLIENT_SECRET: 'unused-by-these-tests',
      SESSION_SECRET: 'test-session-secret-0123456789',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'error',
      // The same counters as the first instance (one database): the login loop below must not hit them.
      RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    });
    bUrl = `http://localhost:${bPort}`;
    // Accepts connections and never answers: the Test's timeout must end the wait.
    silent = createServer((socket) => {
      silentSockets.add(socket);
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', 'admin@example.com'], { DATABASE_URL: a.db.url }, { out: (line) => out.push(line), err: () => undefined })).toBe(0);
    token = out[0];
    await a.service.app.get(UsersService).create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await second?.close();
    await rogue?.close();
    for (const socket of silentSockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  describe('the admin API', () => {
    it('lists the environment provider as read-only, source environment', async () => {
      const list = await (await admin('')).json();
      expect(list).toEqual([expect.objectContaining({ id: 'default', source: 'environment', enabled: true, hasClientSecret: true, redirectUri: `${a.url}/auth/callback/default` })]);
      expect(JSON.stringify(list)).not.toContain('clientSecret');
    });

    it('refuses PATCH and DELETE of the environment provider with 409 and says to change the environment', async () => {
      for (const method of ['PATCH', 'DELETE']) {
        const response = await admin('/default', { method, json: method === 'PATCH' ? { displayName: 'x' } : undefined });
        expect(response.status).toBe(409);
        const body = await response.json();
        expect(body).toMatchObject({ error: 'provider_read_only', message: expect.stringContaining('OIDC_ISSUER') });
      }
      expect(await rows()).toEqual([]);
    });

    it('creates a provider: the secret is encrypted at rest and never returned; both instances offer it within 2 s', async () => {
      const created = await admin('', { method: 'POST', json: secondProvider() });
      expect(created.status).toBe(201);
      const body = await created.json();
      expect(body).toMatchObject({ id: 'second', source: 'database', hasClientSecret: true, enabled: true, scopes: ['openid', 'profile', 'email'], matchClaim: 'email', redirectUri: `${a.url}/auth/callback/second` });
      expect(JSON.stringify(body)).not.toContain(SECOND.clientSecret);
      expect(body).not.toHaveProperty('clientSecret');
      const [row] = await rows();
      expect(row.client_secret_encrypted).toMatch(/^v1:/);
      expect(row.client_secret_encrypted).not.toContain(SECOND.clientSecret);
      expect(await providersSeenBy(a.url)).toEqual(['default', 'second']);
      expect(await until(async () => (await providersSeenBy(bUrl)).includes('second'), 2000)).toBe(true);
      // The other instance built a working strategy from the stored, encrypted secret.
      const login = await fetch(`${bUrl}/auth/login/second?returnTo=/servicecenter`, { redirect: 'manual' });
      expect(login.headers.get('location')).toMatch(new RegExp(`^${second.issuer}/auth\\?`));
      expect(await auditCount('admin.provider.created')).toBe(1);
      const audit = await a.db.query<{ text: string }>('SELECT row_to_json(audit_events)::text AS text FROM audit_events');
      expect(audit.map((event) => event.text).join('\n')).not.toContain(SECOND.clientSecret);
    });

    it.each([
      ['a bad slug', () => ({ ...secondProvider(), id: 'Bad_Slug' }), 400],
      ['a too long slug', () => ({ ...secondProvider(), id: 'x'.repeat(41) }), 400],
      ['a duplicate id', () => (secondProvider()), 409],
      ['the reserved id default', () => ({ ...secondProvider(), id: 'default' }), 409],
      ['a non-URL issuer', () => ({ ...secondProvider(), id: 'third', issuer: 'not a url' }), 400],
      ['an ftp issuer', () => ({ ...secondProvider(), id: 'third', issuer: 'ftp://example.com' }), 400],
      ['missing fields', () => ({ id: 'third' }), 400],
      ['scopes without openid', () => ({ ...secondProvider(), id: 'third', scopes: ['profile'] }), 400],
      ['a bad email domain', () => ({ ...secondProvider(), id: 'third', emailDomains: ['not a domain'] }), 400],
      ['an unknown match claim', () => ({ ...secondProvider(), id: 'third', matchClaim: 'sub' }), 400],
      ['an unknown field', () => ({ ...secondProvider(), id: 'third', tenant: 'x' }), 400],
    ] as [string, () => object, number][])('refuses to create a provider with %s: 4xx JSON, nothing written', async (_label, body, status) => {
      const before = await rows();
      const created = await auditCount('admin.provider.created');
      const response = await admin('', { method: 'POST', json: body() });
      expect(response.status).toBe(status);
      const error = await response.json();
      expect(error).toEqual(expect.objectContaining({ error: expect.any(String), message: expect.anything() }));
      expect(JSON.stringify(error)).not.toContain(SECOND.clientSecret);
      expect(await rows()).toEqual(before);
      expect(await auditCount('admin.provider.created')).toBe(created);
    });

    it('refuses a bad change, an unknown id and a bad id in the path: 4xx JSON, nothing written', async () => {
      const before = await rows();
      expect((await admin('/second', { method: 'PATCH', json: { issuer: 'nope' } })).status).toBe(400);
      expect((await admin('/second', { method: 'PATCH', json: { scopes: ['email'] } })).status).toBe(400);
      expect((await admin('/second', { method: 'PATCH', json: { clientSecret: '' } })).status).toBe(400);
      const unknown = await admin('/nobody', { method: 'PATCH', json: { displayName: 'x' } });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error).toBe('provider_not_found');
      const badPath = await admin('/Not_A_Slug');
      expect(badPath.status).toBe(400);
      expect((await badPath.json()).error).toBe('invalid_provider');
      expect((await admin('/nobody', { method: 'DELETE' })).status).toBe(404);
      expect(await rows()).toEqual(before);
    });

    it('refuses a change of issuer without the client secret (it would go to the new issuer\'s token endpoint): 400 naming the field, nothing written', async () => {
      const before = await rows();
      const updated = await auditCount('admin.provider.updated');
      const refused = await admin('/second', { method: 'PATCH', json: { issuer: rogue.issuer } });
      expect(refused.status).toBe(400);
      const body = await refused.json();
      expect(body).toMatchObject({ error: 'client_secret_required', details: ['clientSecret is required when issuer changes'] });
      expect(body.message).toContain('Changing issuer');
      expect(await rows()).toEqual(before);
      expect(await auditCount('admin.provider.updated')).toBe(updated);
      // The same issuer again, as a form sends it with every other field, needs no secret.
      expect((await admin('/second', { method: 'PATCH', json: { issuer: second.issuer, displayName: 'Second Provider' } })).status).toBe(200);
    });

    it('answers 401 without an admin token', async () => {
      const response = await fetch(`${a.url}/api/admin/identity-providers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...secondProvider(), id: 'x' }) });
      expect(response.status).toBe(401);
      expect((await rows()).map((row) => row.id)).toEqual(['second']);
    });

    it('never writes a client secret to a log line: create, refusal, change, Test, delete', async () => {
      const secret = 'log-probe-secret-0123456789';
      const lines: string[] = [];
      const capture = (...parts: unknown[]) => void lines.push(parts.map(String).join(' '));
      Logger.overrideLogger({ log: capture, error: capture, warn: capture, debug: capture, verbose: capture, fatal: capture });
      try {
        const body = { ...secondProvider(), id: 'logged', clientSecret: secret };
        expect((await admin('', { method: 'POST', json: body })).status).toBe(201);
        expect((await admin('', { method: 'POST', json: { ...body, id: 'Bad Slug' } })).status).toBe(400);
        expect((await admin('', { method: 'POST', json: { ...body, issuer: 'nope' } })).status).toBe(400);
        expect((await admin('/logged', { method: 'PATCH', json: { clientSecret: `${secret}-2` } })).status).toBe(200);
        expect((await admin('/test', { method: 'POST', json: { issuer: second.issuer, clientId: SECOND.clientId, clientSecret: secret } })).status).toBe(200);
        expect((await admin('/logged/test', { method: 'POST' })).status).toBe(200);
        expect((await admin('/logged', { method: 'DELETE' })).status).toBe(204);
      } finally {
        Logger.overrideLogger(['fatal', 'error']);
      }
      expect(lines.some((line) => line.includes('logged'))).toBe(true);
      expect(lines.join('\n')).not.toContain(secret);
    });

    it('describes every route in Swagger, with clientSecret write-only and absent from responses', async () => {
      const document = await (await fetch(`${a.url}/api/docs-json`)).json();
      const paths = ['/api/admin/identity-providers', '/api/admin/identity-providers/test', '/api/admin/identity-providers/{id}', '/api/admin/identity-providers/{id}/test'];
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(paths));
      for (const path of paths) {
        for (const operation of Object.values(document.paths[path]) as { summary?: string }[]) expect(operation.summary).toBeTruthy();
      }
      const schemas = document.components.schemas;
      expect(schemas.CreateIdentityProviderDto.properties.clientSecret.writeOnly).toBe(true);
      expect(schemas.CreateIdentityProviderDto.properties.issuer.example).toMatch(/^https:/);
      expect(schemas.IdentityProviderDto.properties.clientSecret).toBeUndefined();
      expect(schemas.IdentityProviderDto.properties.hasClientSecret).toBeDefined();
      expect(schemas.ProbeStepDto.properties.step.enum).toEqual(['discovery', 'issuer', 'endpoints', 'jwks', 'client']);
    });
  });

  describe('the Test', () => {
    const draft = (changes: Record<string, unknown>) => admin('/test', { method: 'POST', json: { issuer: second.issuer, clientId: SECOND.clientId, clientSecret: SECOND.clientSecret, ...changes } });
    const codes = async (response: Response) => {
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.steps.map((step: { step: string }) => step.step)).toEqual(['discovery', 'issuer', 'endpoints', 'jwks', 'client']);
      for (const step of body.steps) expect(step).toEqual({ step: expect.any(String), ok: expect.any(Boolean), code: expect.any(String), message: expect.any(String), durationMs: expect.any(Number) });
      return { ok: body.ok as boolean, codes: body.steps.map((step: { code: string }) => step.code) as string[], steps: body.steps as { message: string }[] };
    };

    it('passes every step for a good draft, saving nothing', async () => {
      const before = await rows();
      const result = await codes(await draft({ id: 'new-one' }));
      expect(result).toMatchObject({ ok: true, codes: ['discovery_ok', 'issuer_ok', 'endpoints_ok', 'jwks_ok', 'client_ok'] });
      expect(result.steps[2].message).toContain('PKCE S256 offered');
      expect(await rows()).toEqual(before);
    });

    it('names a rejected client secret (invalid_client) and says what to do', async () => {
      const result = await codes(await draft({ clientSecret: 'wrong-secret' }));
      expect(result.ok).toBe(false);
      expect(result.codes).toEqual(['discovery_ok', 'issuer_ok', 'endpoints_ok', 'jwks_ok', 'client_rejected']);
      expect(result.steps[4].message).toMatch(/client id or the secret is wrong/);
      expect(JSON.stringify(result)).not.toContain('wrong-secret');
    });

    it('names a missing secret, an unreachable host, an issuer mismatch, a non-provider URL and a timeout; later steps are skipped', async () => {
      expect((await codes(await draft({ clientSecret: undefined }))).codes[4]).toBe('client_no_secret');
      expect((await codes(await draft({ issuer: 'http://127.0.0.1:9' }))).codes).toEqual(['discovery_unreachable', 'skipped', 'skipped', 'skipped', 'skipped']);
      expect((await codes(await draft({ issuer: `${second.issuer}/` }))).codes.slice(0, 2)).toEqual(['discovery_ok', 'issuer_mismatch']);
      expect((await codes(await draft({ issuer: `${a.url}/api` }))).codes[0]).toBe('discovery_http_error');
      const timedOut = await codes(await draft({ issuer: silentUrl }));
      expect(timedOut.codes[0]).toBe('discovery_timeout');
      expect(timedOut.steps[0].message).toContain('1500 ms');
    });

    it('tests saved providers, the environment one included, and records each Test in the audit trail', async () => {
      const tested = await auditCount('admin.provider.tested');
      expect((await codes(await admin('/second/test', { method: 'POST' }))).ok).toBe(true);
      expect((await codes(await admin('/default/test', { method: 'POST' }))).ok).toBe(true);
      expect((await admin('/nobody/test', { method: 'POST' })).status).toBe(404);
      expect(await auditCount('admin.provider.tested')).toBe(tested + 2);
    });

    describe('reading the token endpoint by what its answer proves', () => {
      const rogueDraft = (changes: Record<string, unknown> = {}) =>
        admin('/test', { method: 'POST', json: { id: 'acme-rogue', issuer: rogue.issuer, clientId: ROGUE.clientId, clientSecret: ROGUE.first, ...changes } });
      const clientStep = async (response: Response) => {
        expect(response.status).toBe(200);
        const body = await response.json();
        return { ok: body.ok as boolean, step: body.steps[4] as { code: string; ok: boolean; message: string; warning?: boolean } };
      };
      afterAll(() => {
        rogue.probeAnswer = undefined;
      });

      it("reads Glewlwyd's 403 invalid_code as accepted credentials (client_ok)", async () => {
        rogue.probeAnswer = { status: 403, body: { error: 'invalid_code' } };
        const { ok, step } = await clientStep(await rogueDraft());
        expect(ok).toBe(true);
        expect(step).toMatchObject({ code: 'client_ok', ok: true });
        expect(step.message).toContain('invalid_code');
        expect(step.warning).toBeUndefined();
      });

      it('names the three causes of unauthorized_client: a wrong secret, an unregistered redirect URI, a disallowed grant', async () => {
        rogue.probeAnswer = { status: 400, body: { error: 'unauthorized_client' } };
        const { ok, step } = await clientStep(await rogueDraft());
        expect(ok).toBe(false);
        expect(step.code).toBe('client_not_allowed');
        expect(step.message).toMatch(/secret/);
        expect(step.message).toContain(`register ${a.url}/auth/callback/acme-rogue`);
        expect(step.message).toMatch(/authorization code/);
      });

      it('keeps invalid_client (and a bare 401) as rejected credentials', async () => {
        rogue.probeAnswer = undefined;
        expect((await clientStep(await rogueDraft({ clientSecret: 'not-the-secret' }))).step.code).toBe('client_rejected');
        rogue.probeAnswer = { status: 401, body: 'Unauthorized' };
        expect((await clientStep(await rogueDraft())).step.code).toBe('client_rejected');
      });

      it('passes an answer it cannot read with a warning, not a failure', async () => {
        rogue.probeAnswer = { status: 502, body: 'Bad gateway' };
        const { ok, step } = await clientStep(await rogueDraft());
        expect(ok).toBe(true);
        expect(step).toMatchObject({ code: 'client_unexpected_response', ok: true, warning: true });
        expect(step.message).toContain('HTTP 502');
      });

      it("sends the redirect URI the provider will see, <PUBLIC_URL>/auth/callback/<the draft's id>, and says so", async () => {
        rogue.probeAnswer = undefined;
        const { step } = await clientStep(await rogueDraft({ id: 'acme-later' }));
        expect(rogue.lastProbeRequest!.get('redirect_uri')).toBe(`${a.url}/auth/callback/acme-later`);
        expect(step.message).toContain(`redirect URI ${a.url}/auth/callback/acme-later`);
        const unnamed = await clientStep(await rogueDraft({ id: undefined }));
        expect(rogue.lastProbeRequest!.has('redirect_uri')).toBe(false);
        expect(unnamed.step.code).toBe('client_ok');
        expect(unnamed.step.message).toContain('sent no redirect URI: the draft has no id');
      });
    });

    it('refuses an invalid draft with 400', async () => {
      expect((await draft({ issuer: 'not a url' })).status).toBe(400);
    });
  });

  describe('the chooser', () => {
    it('shows one button per enabled provider for /auth/login and for a console without a session', async () => {
      const browser = new TestBrowser();
      const page = await browser.open(`${a.url}/servicecenter/apps`);
      expect(page.status).toBe(200);
      expect(page.url).toBe(`${a.url}/auth/login?returnTo=%2Fservicecenter%2Fapps`);
      expect(page.body).toContain('href="/auth/login/default?returnTo=%2Fservicecenter%2Fapps"');
      expect(page.body).toContain('href="/auth/login/second?returnTo=%2Fservicecenter%2Fapps"');
      expect(page.body).toContain('Sign in with Second Provider');
      expect(page.body).toContain('name="email"');
    });

    it('routes an email by its domain straight to that provider, with login_hint', async () => {
      const response = await fetch(`${a.url}/auth/login?returnTo=/lifetime&email=${encodeURIComponent('jane@second.example')}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      const authorize = new URL(response.headers.get('location')!);
      expect(authorize.origin).toBe(second.issuer);
      expect(authorize.searchParams.get('login_hint')).toBe('jane@second.example');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${a.url}/auth/callback/second`);
      const unknown = await fetch(`${a.url}/auth/login?email=jo@elsewhere.example`);
      expect(unknown.status).toBe(200);
      expect(await unknown.text()).toContain('No sign-in option is set up for elsewhere.example');
    });

    it('signs in through the second provider, remembers it, and skips the chooser next time', async () => {
      const browser = new TestBrowser();
      const page = await signInThroughDevIdp(browser, `${a.url}/auth/login/second?returnTo=%2Fservicecenter`, DEVELOPER);
      expect(page.status).toBe(200);
      expect(page.url).toBe(`${a.url}/servicecenter`);
      expect(page.body).toContain(DEVELOPER.name);
      expect(browser.cookie('localhost', 'frontdoor.idp')).toBe('second');
      // The identity is linked under the second provider and its issuer, beside any from the first.
      const links = await a.db.query<{ issuer: string }>("SELECT issuer FROM linked_identities WHERE provider_id = 'second'");
      expect(links).toEqual([{ issuer: second.issuer }]);
      const sessions = await a.db.query<{ provider_id: string }>("SELECT data->>'providerId' AS provider_id FROM sessions WHERE user_id IS NOT NULL");
      expect(sessions.map((row) => row.provider_id)).toContain('second');

      const returning = new TestBrowser();
      returning.setCookie('localhost', 'frontdoor.idp', 'second');
      const again = await returning.request(`${a.url}/auth/login?returnTo=/servicecenter`);
      expect(again.status).toBe(302);
      expect(again.headers.get('location')).toMatch(new RegExp(`^${second.issuer}/auth\\?`));
      const chooser = await returning.request(`${a.url}/auth/login?choose=1`);
      expect(chooser.status).toBe(200);
    });

    it('measures the calls to a stored provider as it does those to the environment one', async () => {
      const text = await (await fetch(`${a.url}/metrics`)).text();
      for (const endpoint of ['discovery', 'jwks', 'token', 'userinfo']) {
        expect(text).toMatch(new RegExp(`frontdoor_idp_request_duration_seconds_count\\{provider="second",endpoint="${endpoint}",outcome="ok"\\} [1-9]`));
      }
    });

    it('sends the Studio handoff page through the same chooser', async () => {
      const created = await fetch(`${a.url}/api/desktop/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: 'service-studio', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256' }),
      });
      const { browserUrl } = await created.json();
      const page = await new TestBrowser().open(browserUrl);
      expect(page.status).toBe(200);
      expect(page.url).toContain('/auth/login?returnTo=%2Fdesktop%2Fhandoff%2F');
      expect(page.body).toContain('Sign in with Second Provider');
    });

    it('tells Studios about every enabled provider', async () => {
      const body = await (await fetch(`${a.url}/api/desktop/environment`)).json();
      expect(body.authentication).toMatchObject({
        ready: true,
        provider: { id: 'default' },
        providers: [expect.objectContaining({ id: 'default', ready: true }), { id: 'second', displayName: 'Second Provider', ready: true }],
      });
    });
  });

  describe('changes on every instance', () => {
    const rogueProvider = { id: 'rogue', displayName: 'Rogue', issuer: '', clientId: ROGUE.clientId, clientSecret: ROGUE.first };

    async function beginLogin(browser: TestBrowser): Promise<URL> {
      const start = await browser.request(`${a.url}/auth/login/rogue?returnTo=/servicecenter`);
      expect(start.status).toBe(302);
      const authorize = await browser.request(start.headers.get('location')!);
      return new URL(authorize.headers.get('location')!);
    }
    const finishOn = (browser: TestBrowser, callback: URL, base: string) => browser.request(new URL(callback.pathname + callback.search, base).toString());

    beforeAll(async () => {
      rogueProvider.issuer = rogue.issuer;
      expect((await admin('', { method: 'POST', json: rogueProvider })).status).toBe(201);
      expect(await until(async () => (await providersSeenBy(bUrl)).includes('rogue'), 2000)).toBe(true);
    });

    it('finishes a login whose client secret was rotated between authorize and callback, on the other instance', async () => {
      const browser = new TestBrowser();
      const callback = await beginLogin(browser);
      // Cut the change notifications too, so the other instance can only learn of the new secret
      // by re-reading the provider when the callback arrives.
      await a.db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'frontdoor-provider-listener' AND datname = current_database()");
      // The hardest cut: the provider stops taking the old secret before the callback arrives.
      rogue.acceptSecrets([ROGUE.second]);
      expect((await admin('/rogue', { method: 'PATCH', json: { clientSecret: ROGUE.second } })).status).toBe(200);
      const landed = await finishOn(browser, callback, bUrl);
      expect(landed.status).toBe(302);
      expect(landed.headers.get('location')).toBe('/servicecenter');
      expect(rogue.lastTokenRequest!.get('client_secret')).toBe(ROGUE.second);
      expect(await auditCount('admin.provider.updated')).toBeGreaterThan(0);
    });

    it('has zero failed logins across both instances while the secret is rotated under a loop of logins', async () => {
      let done = 0;
      const failures: string[] = [];
      const logins = (async () => {
        for (let i = 0; i < 24; i++) {
          const browser = new TestBrowser();
          const callback = await beginLogin(browser);
          const landed = await finishOn(browser, callback, i % 2 === 0 ? a.url : bUrl);
          if (landed.status !== 302 || landed.headers.get('location') !== '/servicecenter') failures.push(`login ${i}: ${landed.status} ${await landed.text()}`);
          done++;
        }
      })();
      const waitFor = (n: number) => until(async () => done >= n, 20_000);
      const rotation = (async () => {
        await waitFor(6);
        // The order an administrator follows: add the new secret at the provider, store it here, drop the old one.
        rogue.acceptSecrets([ROGUE.second, ROGUE.first]);
        expect((await admin('/rogue', { method: 'PATCH', json: { clientSecret: ROGUE.first } })).status).toBe(200);
        const mark = done;
        await waitFor(mark + 2);
        rogue.acceptSecrets([ROGUE.first]);
      })();
      await Promise.all([logins, rotation]);
      expect(failures).toEqual([]);
      expect(done).toBe(24);
    });

    it('stops the refresh of a Studio token signed in through a provider once it is disabled, on the other instance at once', async () => {
      const browser = new TestBrowser();
      expect((await finishOn(browser, await beginLogin(browser), a.url)).headers.get('location')).toBe('/servicecenter');
      const tokens = await desktopLogin(a.url, browser);
      const refreshed = await refresh(bUrl, tokens.refreshToken);
      expect(refreshed.status).toBe(200);
      const { refreshToken } = await refreshed.json();

      expect((await admin('/rogue', { method: 'PATCH', json: { enabled: false } })).status).toBe(200);
      // No wait for the change notification: the refresh re-reads the provider.
      const refused = await refresh(bUrl, refreshToken);
      expect(refused.status).toBe(400);
      expect((await refused.json()).error).toBe('invalid_grant');
      const [event] = await a.db.query<{ reason: string }>("SELECT reason FROM audit_events WHERE type = 'token.refreshed' AND outcome = 'failure' ORDER BY id DESC LIMIT 1");
      expect(event.reason).toBe('provider_disabled');

      expect((await admin('/rogue', { method: 'PATCH', json: { enabled: true } })).status).toBe(200);
      expect(await until(async () => (await providersSeenBy(bUrl)).includes('rogue'), 2000)).toBe(true);
    });

    it('disables, re-enables and deletes on every instance within 2 s; a removed provider has no strategy left', async () => {
      expect((await admin('/rogue', { method: 'PATCH', json: { enabled: false } })).status).toBe(200);
      expect(await until(async () => !(await providersSeenBy(bUrl)).includes('rogue'), 2000)).toBe(true);
      for (const base of [a.url, bUrl]) expect((await fetch(`${base}/auth/login/rogue`, { redirect: 'manual' })).status).toBe(404);

      expect((await admin('/rogue', { method: 'PATCH', json: { enabled: true, displayName: 'Rogue again' } })).status).toBe(200);
      expect(await until(async () => (await providersSeenBy(bUrl)).includes('rogue'), 2000)).toBe(true);

      const deletedBefore = await auditCount('admin.provider.deleted');
      expect((await admin('/rogue', { method: 'DELETE' })).status).toBe(204);
      expect(await until(async () => !(await providersSeenBy(bUrl)).includes('rogue'), 2000)).toBe(true);
      for (const base of [a.url, bUrl]) expect((await fetch(`${base}/auth/login/rogue`, { redirect: 'manual' })).status).toBe(404);
      expect((await rows()).map((row) => row.id)).toEqual(['second']);
      expect(await auditCount('admin.provider.deleted')).toBe(deletedBefore + 1);
    });

    it('catches up after its listening connection is cut: reconnects and reloads', async () => {
      const killed = await a.db.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'frontdoor-provider-listener' AND datname = current_database()");
      expect(killed.length).toBe(2);
      expect((await admin('', { method: 'POST', json: { ...rogueProvider, id: 'after-cut' } })).status).toBe(201);
      expect(await until(async () => (await providersSeenBy(bUrl)).includes('after-cut'), 15_000)).toBe(true);
      expect((await admin('/after-cut', { method: 'DELETE' })).status).toBe(204);
      expect(await until(async () => !(await providersSeenBy(bUrl)).includes('after-cut'), 2000)).toBe(true);
    });
  });
});

describe('readiness from the Test', () => {
  let idp: DevIdp;
  let env: TestService | undefined;

  beforeAll(async () => {
    idp = await startDevIdp({ port: 0, clients: [{ ...SECOND, redirectUris: ['http://localhost/cb'], postLogoutRedirectUris: [] }] });
  });
  afterAll(async () => {
    await env?.close();
    await idp?.close();
  });

  it('is not ready, with a reason that says so, when the provider rejects the client secret', async () => {
    env = await startTestService({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: SECOND.clientId, OIDC_CLIENT_SECRET: 'a-wrong-secret' });
    const ready = await fetch(`${env.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).reason).toMatch(/identity provider default: client client_rejected/);
    // The Test's own message names the token endpoint and the client; anonymous callers get neither.
    expect((await env.service.app.get(ProviderHealthService).readiness()).reason).toContain(`refused client "${SECOND.clientId}"`);
    const environment = await (await fetch(`${env.url}/api/desktop/environment`)).json();
    expect(environment.authentication).toMatchObject({
      ready: false,
      reason: 'client_rejected',
      reasonMessage: 'The identity provider does not accept the client settings of this environment. An administrator can see the details in LifeTime.',
      providers: [{ id: 'default', ready: false, reason: 'client_rejected' }],
    });
    const text = JSON.stringify(environment);
    for (const secretish of [SECOND.clientId, idp.issuer, new URL(idp.issuer).host, '/token']) expect(text).not.toContain(secretish);
  });
});

describe('readiness with a token endpoint answer the Test cannot read', () => {
  it('stays ready: the warning is for LifeTime, not a reason to stop serving', async () => {
    const op = await startRogueOp({ clientId: ROGUE.clientId, clientSecret: ROGUE.first });
    op.probeAnswer = { status: 403, body: { error: 'server_error' } };
    const env = await startTestService({ OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: ROGUE.clientId, OIDC_CLIENT_SECRET: ROGUE.first });
    try {
      const ready = await fetch(`${env.url}/readyz`);
      expect(ready.status).toBe(200);
      const environment = await (await fetch(`${env.url}/api/desktop/environment`)).json();
      expect(environment.authentication.ready).toBe(true);
      expect(op.lastProbeRequest).toBeDefined();
    } finally {
      await env.close();
      await op.close();
    }
  });
});

describe('readiness while a provider hangs', () => {
  it('does not wait for a hanging provider longer than 5 s: not ready, its Test still running', async () => {
    const sockets = new Set<Socket>();
    const hanging = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
    const env = await startTestService({
      OIDC_ISSUER: `http://127.0.0.1:${(hanging.address() as { port: number }).port}`,
      OIDC_CLIENT_ID: 'front-door',
      OIDC_CLIENT_SECRET: 'x',
      OIDC_HTTP_TIMEOUT_MS: '20000',
    });
    try {
      const ready = await fetch(`${env.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
      expect(ready.status).toBe(503);
      expect((await ready.json()).reason).toBe('identity provider default: its Test is still running');
    } finally {
      for (const socket of sockets) socket.destroy();
      await env.close();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });
});

describe('start-up in production', () => {
  it('stops when stored providers have secrets and ENCRYPTION_KEY is missing', async () => {
    const env = await startTestService();
    try {
      await env.service.app.get((await import('../src/identity-providers/identity-providers.service.js')).IdentityProvidersService).create({
        id: 'stored',
        displayName: 'Stored',
        issuer: 'https://login.example.com',
        clientId: 'x',
        clientSecret: 'stored-secret-0123456789',
      });
      // No sealed signing key either, so it is the providers' secrets that stop the start.
      await env.db.query('DELETE FROM assertion_signing_keys');
      await expect(startInProductionWithoutEncryptionKey(env)).rejects.toThrow(/ENCRYPTION_KEY is missing: stored identity providers have client secrets/);
    } finally {
      await env.close();
    }
  });
});
