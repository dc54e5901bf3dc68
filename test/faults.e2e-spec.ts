import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutDownWithin, startService, type RunningService } from '../src/bootstrap.js';
import { ConfigError } from '../src/config/app-config.js';
import { TestBrowser } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { csrfForm } from './support/forms.js';
import { startOnFragileDatabase } from './support/fragile-database.js';
import { freePort } from './support/ports.js';
import { ROGUE_CLIENT, signedInSessions, startRogueEnvironment, visitConsole, type RogueEnvironment } from './support/rogue-service.js';
import { startTestService, TEST_ENCRYPTION_KEY } from './support/service.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

/** Each call to the provider gives up after this in these tests (OIDC_HTTP_TIMEOUT_MS). */
const PROVIDER_TIMEOUT_MS = 800;

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, limitMs = 5_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a provider that accepts the connection and never answers', () => {
  let rig: RogueEnvironment;

  beforeAll(async () => {
    rig = await startRogueEnvironment({}, { OIDC_HTTP_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS) });
    await rig.users.create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it.each([
    // JWKS first: once a login succeeds the keys are cached and never asked for again.
    ['/jwks', 'its signing keys (JWKS)'],
    ['/token', 'the token request'],
    ['/userinfo', 'the user info request'],
  ])('a hanging %s ends the callback with a readable 504 naming the provider and the call; nothing written, the socket closed', async (path, call) => {
    const sessionsBefore = await signedInSessions(rig.env);
    rig.op.hang = new Set([path]);
    try {
      const page = await visitConsole(rig.env);
      expect(page.status).toBe(504);
      expect(page.body).toContain('The identity provider did not answer');
      expect(page.body).toContain(`did not answer ${call} in time`);
      expect(page.body).toContain('127.0.0.1'); // the provider's display name is its host here
      expect(await signedInSessions(rig.env)).toBe(sessionsBefore);
      // The service gave up and closed its end: no connection to the provider is left open.
      await waitUntil(() => rig.op.openConnections() === 0, 'the service closes its sockets to the provider');
    } finally {
      rig.op.hang = new Set();
    }
    // And the next login works as before.
    expect((await visitConsole(rig.env)).status).toBe(200);
  });

  it('measures each call that timed out as a failed call that lasted the whole timeout', async () => {
    const text = await (await fetch(`${rig.env.url}/metrics`)).text();
    for (const endpoint of ['jwks', 'token', 'userinfo']) {
      const series = `provider="default",endpoint="${endpoint}",outcome="error"`;
      expect(text).toMatch(new RegExp(`frontdoor_idp_request_duration_seconds_count\\{${series}\\} [1-9]`));
      const sum = Number(new RegExp(`frontdoor_idp_request_duration_seconds_sum\\{${series}\\} ([0-9.e+-]+)`).exec(text)?.[1]);
      expect(sum, endpoint).toBeGreaterThanOrEqual((PROVIDER_TIMEOUT_MS / 1000) * 0.9);
    }
  });

  it('finishes SIGTERM within SHUTDOWN_TIMEOUT_SECONDS even with a request stuck on the provider', async () => {
    const stuck = await startRogueEnvironment({}, { OIDC_HTTP_TIMEOUT_MS: '60000' });
    try {
      await stuck.users.create({ email: 'rogue@example.com' });
      stuck.op.hang = new Set(['/token']);
      const pending = visitConsole(stuck.env).catch(() => undefined);
      await waitUntil(() => stuck.op.hungRequests > 0, 'the token request is in flight');
      expect(await shutDownWithin(stuck.env.service, 1)).toBe(false);
      stuck.op.hang = new Set();
      await stuck.op.close();
      await pending;
    } finally {
      await stuck.env.db.drop().catch(() => undefined);
    }
  });
});

describe('a database that is frozen or stopped', () => {
  let proxy: TcpProxy;
  let db: TestDatabase;
  let service: RunningService;
  let url: string;
  const browser = new TestBrowser();
  let adminToken = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    const real = new URL(db.url);
    proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port || 5432) });
    const behindProxy = new URL(db.url);
    behindProxy.hostname = '127.0.0.1';
    behindProxy.port = String(proxy.port);
    ({ service, url, adminToken } = await startOnFragileDatabase(behindProxy.toString(), browser));
  });
  afterAll(async () => {
    proxy?.thaw();
    await service?.close();
    await proxy?.close();
    await db?.drop();
  });

  /** Every kind of route, each of which needs the database. */
  async function everyRoute(): Promise<{ name: string; status: number; json?: Record<string, unknown>; body: string; location?: string | null }[]> {
    const requests: [string, () => Promise<Response>][] = [
      ['readyz', () => fetch(`${url}/readyz`)],
      ['console', () => browser.request(`${url}/servicecenter`)],
      ['login', () => fetch(`${url}/auth/login?returnTo=/servicecenter`, { redirect: 'manual' })],
      ['handoff', () => fetch(`${url}/api/desktop/handoffs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'service-studio', codeChallenge: 'x'.repeat(43), codeChallengeMethod: 'S256' }) })],
      ['admin', () => fetch(`${url}/api/admin/users`, { headers: { authorization: `Bearer ${adminToken}` } })],
      ['audit', () => fetch(`${url}/api/admin/audit`, { headers: { authorization: `Bearer ${adminToken}` } })],
      ['refresh', () => fetch(`${url}/api/desktop/token/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: `fdsr_${'r'.repeat(43)}` }) })],
    ];
    return Promise.all(
      requests.map(async ([name, send]) => {
        const response = await send();
        const body = await response.text();
        const json = response.headers.get('content-type')?.includes('json') ? JSON.parse(body) : undefined;
        return { name, status: response.status, json, body, location: response.headers.get('location') };
      }),
    );
  }

  async function expectUnavailable(): Promise<void> {
    const answers = await everyRoute();
    for (const answer of answers) expect({ name: answer.name, status: answer.status }).toEqual({ name: answer.name, status: 503 });
    const byName = Object.fromEntries(answers.map((answer) => [answer.name, answer]));
    expect(byName.readyz.json).toMatchObject({ status: 'unavailable' });
    expect(String(byName.readyz.json!.reason)).toMatch(/^database: not (answering|reachable)/);
    expect(byName.readyz.body).not.toContain('127.0.0.1');
    expect(byName.readyz.body).not.toContain(String(proxy.port));
    expect(byName.handoff.json).toMatchObject({ error: 'database_unavailable', message: 'The service cannot reach its database right now.' });
    expect(byName.refresh.json).toMatchObject({ error: 'database_unavailable' });
    expect(byName.console.body).toContain('Temporarily unavailable');
    // A login is not sent to the provider while the database is down.
    expect(byName.login.location).toBeNull();
  }

  async function expectRecovered(): Promise<void> {
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, 'ready again', 15_000);
    // The session from before the outage still works: nothing was lost, no restart needed.
    const page = await browser.open(`${url}/servicecenter`);
    expect(page.status).toBe(200);
    expect((await fetch(`${url}/api/admin/users`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
  }

  it('answers every route with a readable 503 within a few seconds while frozen, and recovers after', async () => {
    proxy.freeze();
    try {
      await expectUnavailable();
    } finally {
      proxy.thaw();
    }
    await expectRecovered();
  }, 30_000);

  it('answers every route with a readable 503 while stopped, and recovers when it is back', async () => {
    await proxy.stop();
    try {
      await expectUnavailable();
    } finally {
      await proxy.start();
    }
    await expectRecovered();
  }, 30_000);
});

describe('hostile input', () => {
  let env: Awaited<ReturnType<typeof startTestService>>;

  beforeAll(async () => {
    env = await startTestService();
  });
  afterAll(async () => {
    await env?.close();
  });

  async function tickets(): Promise<number> {
    return Number((await env.db.query<{ n: string }>('SELECT count(*) AS n FROM handoff_tickets'))[0].n);
  }

  it('refuses deeply nested JSON with a 400 in the one error shape, before parsing, writing nothing', async () => {
    for (const depth of [1_400, 45_000]) {
      const response = await fetch(`${env.url}/api/desktop/handoffs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '['.repeat(depth) });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ statusCode: 400, error: 'invalid_request', message: 'The JSON body is nested more than 32 levels deep.' });
    }
    expect(await tickets()).toBe(0);
  });

  it('answers a body over the size limit with 413 JSON, and validation errors with details', async () => {
    const big = await fetch(`${env.url}/api/desktop/handoffs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'x'.repeat(200_000) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
    const invalid = await fetch(`${env.url}/api/desktop/handoffs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'nope', extra: 1 }) });
    expect(invalid.status).toBe(400);
    const body = await invalid.json();
    expect(body).toMatchObject({ error: 'invalid_request' });
    expect(typeof body.message).toBe('string');
    expect(body.message).toBe('The request is not valid.');
    expect(body.details).toEqual(expect.arrayContaining([expect.stringContaining('client'), expect.stringContaining('extra')]));
    const notFound = await fetch(`${env.url}/api/nothing-here`);
    expect(await notFound.json()).toMatchObject({ error: 'not_found' });
    expect(await tickets()).toBe(0);
  });

  it('puts a nonce CSP, frame-ancestors none, no-referrer and no-store on pages', async () => {
    const response = await fetch(`${env.url}/auth/signed-out`);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('strict-transport-security')).toBeNull();
    const other = await fetch(`${env.url}/auth/signed-out`);
    expect(other.headers.get('content-security-policy')).not.toBe(csp);
  });

  it('refuses a logout from another site (Origin or Sec-Fetch-Site), with no token or a wrong one, and keeps the session', async () => {
    const { signInThroughDevIdp, DEVELOPER } = await import('./support/service.js');
    const browser = new TestBrowser();
    const console = await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER);
    expect(console.status).toBe(200);
    expect(console.headers.get('cache-control')).toBe('no-store');
    const form = csrfForm(console.body);
    const attempts: RequestInit[] = [
      { headers: { origin: 'https://evil.example', ...form.headers }, body: form.body },
      // A valid token from a cross-site page (Chromium: Origin null under no-referrer, and the fetch metadata).
      { headers: { origin: 'null', 'sec-fetch-site': 'cross-site', ...form.headers }, body: form.body },
      { headers: { origin: 'null' } },
      {},
      { headers: { ...form.headers }, body: new URLSearchParams({ _csrf: 'forged' }) },
    ];
    for (const attempt of attempts) {
      const response = await browser.request(`${env.url}/auth/logout`, { method: 'POST', ...attempt });
      expect(response.status).toBe(403);
      expect((await browser.open(`${env.url}/servicecenter`)).status).toBe(200);
    }
    const done = await browser.request(`${env.url}/auth/logout`, { method: 'POST', headers: { ...form.headers, origin: 'null' }, body: form.body });
    expect(done.status).toBe(303);
    // The same button once the session is gone (a second click, an old tab): the signed-out page, not an error.
    const again = await browser.request(`${env.url}/auth/logout`, { method: 'POST', headers: form.headers, body: form.body });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/auth/signed-out');
  });
});

describe('rate limits', () => {
  it('limits handoff creation per address across two instances on one database, with 429 and Retry-After', async () => {
    const first = await startTestService({ RATE_LIMIT_HANDOFFS_PER_MINUTE: '3' });
    const port = await freePort();
    const second = await startService({
      PORT: String(port),
      PUBLIC_URL: first.url,
      DATABASE_URL: first.db.url,
      DEV_IDP_PORT: '0',
      SESSION_SECRET: 'test-session-secret-0123456789',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'error',
      RATE_LIMIT_HANDOFFS_PER_MINUTE: '3',
    });
    try {
      const create = (base: string) =>
        fetch(`${base}/api/desktop/handoffs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client: 'service-studio', codeChallenge: 'A'.repeat(43), codeChallengeMethod: 'S256' }),
        });
      const statuses = [];
      for (const base of [first.url, `http://localhost:${port}`, first.url, `http://localhost:${port}`]) statuses.push((await create(base)).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
      const refused = await create(first.url);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
      expect(Number((await first.db.query<{ n: string }>('SELECT count(*) AS n FROM handoff_tickets'))[0].n)).toBe(3);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('denies a handoff after five wrong codes, and the status says why', async () => {
    const env = await startTestService();
    try {
      const { signInThroughDevIdp, DEVELOPER } = await import('./support/service.js');
      const { clickOpen } = await import('./support/forms.js');
      const { createHash, randomBytes } = await import('node:crypto');
      const verifier = randomBytes(32).toString('base64url');
      const created = await fetch(`${env.url}/api/desktop/handoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: 'service-studio', codeChallenge: createHash('sha256').update(verifier).digest('base64url'), codeChallengeMethod: 'S256', redirectUri: 'http://127.0.0.1:9/callback' }),
      });
      const handoff = await created.json();
      const browser = new TestBrowser();
      const page = await signInThroughDevIdp(browser, handoff.browserUrl, DEVELOPER);
      const { href } = await clickOpen(browser, page);
      const redeem = (code: string) =>
        fetch(`${env.url}/api/desktop/handoffs/${handoff.id}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, codeVerifier: verifier }) });
      for (let i = 0; i < 5; i++) expect((await redeem(`wrong-${i}`.padEnd(43, 'x'))).status).toBe(400);
      expect(await (await fetch(handoff.statusUrl)).json()).toMatchObject({ status: 'denied', reason: 'too_many_attempts' });
      // Even the right code is refused now, and no token was ever issued.
      const right = await redeem(href.searchParams.get('code')!);
      expect(right.status).toBe(400);
      expect((await env.db.query('SELECT 1 FROM desktop_tokens')).length).toBe(0);
    } finally {
      await env.close();
    }
  });

  it('limits sign-in starts per address with a readable page, and writes no session row for them', async () => {
    const env = await startTestService({ RATE_LIMIT_LOGIN_PER_MINUTE: '5' });
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await fetch(`${env.url}/auth/login`, { redirect: 'manual', headers: { accept: 'text/html' } })).status);
      expect(statuses).toEqual([302, 302, 302, 302, 302, 429, 429]);
      const page = await fetch(`${env.url}/auth/login`, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(page.headers.get('retry-after')).toBeTruthy();
      expect(await page.text()).toContain('Too many requests');
      expect((await env.db.query('SELECT 1 FROM sessions')).length).toBe(0);
    } finally {
      await env.close();
    }
  });
});

describe('start-up', () => {
  let blocker: Server;
  let blockedPort: number;

  beforeAll(async () => {
    // Reads and drops what start-up sends when it looks at the port, so the connection ends when the caller closes it.
    blocker = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', () => resolve()));
    blockedPort = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('turns a port in use into one line naming the port and PORT', async () => {
    const db = await createTestDatabase();
    try {
      const starting = startService({ PORT: String(blockedPort), DATABASE_URL: db.url, DEV_IDP_PORT: '0', LOG_LEVEL: 'error', SESSION_SECRET: 'test-session-secret-0123456789' });
      await expect(starting).rejects.toThrow(ConfigError);
      await expect(starting).rejects.toThrow(`Port ${blockedPort} is already in use: stop what uses it or set PORT to a free port.`);
    } finally {
      await db.drop();
    }
  });

  it('names DEV_IDP_PORT when the development provider’s port is taken', async () => {
    const db = await createTestDatabase();
    try {
      const starting = startService({ PORT: String(await freePort()), DATABASE_URL: db.url, DEV_IDP_PORT: String(blockedPort), LOG_LEVEL: 'error' });
      await expect(starting).rejects.toThrow(/^Port \d+ \(the development identity provider's.*set DEV_IDP_PORT/);
    } finally {
      await db.drop();
    }
  });

  it('reports an unreachable provider at start, starts anyway, and is not ready', async () => {
    const deadIssuer = `http://127.0.0.1:${await freePort()}`;
    const env = await startTestService({ OIDC_ISSUER: deadIssuer, OIDC_CLIENT_ID: ROGUE_CLIENT.clientId, OIDC_CLIENT_SECRET: ROGUE_CLIENT.clientSecret });
    try {
      expect(env.service.providerAtStart).toMatchObject({ ready: false });
      expect((env.service.providerAtStart as { reason: string }).reason).toMatch(/unreachable/);
      const ready = await fetch(`${env.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).not.toContain(deadIssuer);
    } finally {
      await env.close();
    }
  });

  it('warns when PUBLIC_URL is https without TRUST_PROXY, and refuses it in production; sends HSTS under https', async () => {
    const port = await freePort();
    const env = await startTestService({ PORT: String(port), PUBLIC_URL: `https://localhost:${port}` });
    try {
      expect(env.service.warnings.join('\n')).toContain('TRUST_PROXY');
      expect((await fetch(`http://localhost:${port}/auth/signed-out`)).headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      // Probes answer load balancers, not browsers: no page headers.
      expect((await fetch(`http://localhost:${port}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    } finally {
      await env.close();
    }
    await expect(
      startService({
        NODE_ENV: 'production',
        PUBLIC_URL: 'https://frontdoor.example.com',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        OIDC_ISSUER: 'https://idp.example.com',
        OIDC_CLIENT_ID: 'x',
        OIDC_CLIENT_SECRET: 'y',
        SESSION_SECRET: 'test-session-secret-0123456789',
      }),
    ).rejects.toThrow(/TRUST_PROXY/);
  });
});
