import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../src/bootstrap.js';
import { UsersService } from '../src/users/users.service.js';
import { TestBrowser } from './support/browser.js';
import { buildService, spawnBuiltService } from './support/built-service.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startOnFragileDatabase } from './support/fragile-database.js';
import { freePort } from './support/ports.js';
import { processState, startChildOp, startThrowawayCluster, unreadConnections, type ChildOp, type FrozenCluster } from './support/processes.js';
import { startRogueOp, type RogueOp } from './support/rogue-op.js';
import { ROGUE_CLIENT, signedInSessions } from './support/rogue-service.js';
import { startTestService, type TestService } from './support/service.js';

/** Each call to the provider gives up after this in these tests (OIDC_HTTP_TIMEOUT_MS). */
const PROVIDER_TIMEOUT_MS = 1_500;

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, limitMs = 5_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A request that must be answered within `limitMs`; also says how long it took. */
async function answered(send: (signal: AbortSignal) => Promise<Response>, limitMs: number): Promise<{ status: number; body: string; json?: Record<string, unknown>; ms: number; location: string | null }> {
  const started = Date.now();
  const response = await send(AbortSignal.timeout(limitMs));
  const body = await response.text();
  const json = response.headers.get('content-type')?.includes('json') ? (JSON.parse(body) as Record<string, unknown>) : undefined;
  return { status: response.status, body, json, ms: Date.now() - started, location: response.headers.get('location') };
}

describe('a real PostgreSQL frozen with SIGSTOP', () => {
  let cluster: FrozenCluster;
  let service: RunningService;
  let url: string;
  let adminToken = '';
  const browser = new TestBrowser();

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
    ({ service, url, adminToken } = await startOnFragileDatabase(cluster.url, browser));
  }, 60_000);
  afterAll(async () => {
    // Thawed before anything else, whatever failed: a stopped cluster would hold every close below.
    await cluster?.thaw();
    await service?.close();
    await cluster?.close();
  }, 30_000);

  const handoff = (signal: AbortSignal) =>
    fetch(`${url}/api/desktop/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client: 'service-studio', codeChallenge: 'x'.repeat(43), codeChallengeMethod: 'S256' }),
      signal,
    });
  const admin = (signal: AbortSignal) => fetch(`${url}/api/admin/users`, { headers: { authorization: `Bearer ${adminToken}` }, signal });

  it('answers readyz, a signed-in console page, a handoff and the admin API with a readable 503 within 5 s, and recovers on SIGCONT', async () => {
    const stopped = await cluster.freeze();
    try {
      expect(stopped.length).toBeGreaterThan(2);
      for (const pid of stopped) expect(await processState(pid), `process ${pid}`).toBe('T');

      const [readyz, consolePage, created, users] = await Promise.all([
        answered((signal) => fetch(`${url}/readyz`, { signal }), 5_000),
        answered((signal) => browser.request(`${url}/servicecenter`, { signal }), 5_000),
        answered(handoff, 5_000),
        answered(admin, 5_000),
      ]);
      expect([readyz.status, consolePage.status, created.status, users.status]).toEqual([503, 503, 503, 503]);
      for (const answer of [readyz, consolePage, created, users]) expect(answer.ms).toBeLessThan(5_000);
      expect(readyz.json).toMatchObject({ status: 'unavailable' });
      expect(String(readyz.json!.reason)).toMatch(/^database: not (answering|reachable)/);
      expect(readyz.body).not.toContain('127.0.0.1');
      expect(readyz.body).not.toContain(String(cluster.port));
      expect(consolePage.body).toContain('Temporarily unavailable');
      expect(created.json).toMatchObject({ error: 'database_unavailable', message: 'The service cannot reach its database right now.' });
      expect(users.json).toMatchObject({ error: 'database_unavailable' });
    } finally {
      await cluster.thaw();
    }

    // Back without a restart of anything; the session from before the freeze still works.
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, 'ready again', 15_000);
    const page = await browser.open(`${url}/servicecenter`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('Sign in');
    expect((await answered(admin, 5_000)).status).toBe(200);
    expect((await answered(handoff, 5_000)).status).toBe(201);
  }, 40_000);
});

describe('an OpenID Provider process frozen with SIGSTOP, killed and started again', () => {
  const account = 'frozen@example.com';
  let op: ChildOp;
  let env: TestService;

  beforeAll(async () => {
    const port = await freePort();
    const client = { clientId: 'front-door-frozen', clientSecret: 'frozen-client-secret-0123456789' };
    op = await startChildOp({ ...client, redirectUri: `http://localhost:${port}/auth/callback/default`, account });
    env = await startTestService({
      PORT: String(port),
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_ID: client.clientId,
      OIDC_CLIENT_SECRET: client.clientSecret,
      OIDC_HTTP_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
      OIDC_TEST_INTERVAL_SECONDS: '5',
    });
    await env.service.app.get(UsersService).create({ email: account, displayName: 'Frozen User' });
    await waitUntil(async () => (await fetch(`${env.url}/readyz`)).status === 200, 'ready', 10_000);
  }, 60_000);
  afterAll(async () => {
    op?.thaw();
    await env?.close();
    await op?.close();
  }, 30_000);

  /** Follows the sign-in from a console page up to (not including) the provider's redirect back to the service. */
  async function untilCallback(browser: TestBrowser): Promise<string> {
    let current = `${env.url}/servicecenter`;
    for (let i = 0; i < 20; i++) {
      const response = await browser.request(current, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      const location = response.headers.get('location');
      if (!location) throw new Error(`no redirect from ${current}: HTTP ${response.status}`);
      current = new URL(location, current).toString();
      if (current.startsWith(`${env.url}/auth/callback/`)) return current;
    }
    throw new Error('the sign-in never came back to the service');
  }

  async function signsIn(): Promise<void> {
    const page = await new TestBrowser().open(`${env.url}/servicecenter`);
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${env.url}/servicecenter`);
  }

  it('frozen between authorize and callback: the callback answers a readable 504 naming the provider in time, writes no session and keeps no socket', async () => {
    await signsIn();
    const sessionsBefore = await signedInSessions(env);
    const browser = new TestBrowser();
    const callback = await untilCallback(browser);
    op.freeze();
    try {
      const pending = answered((signal) => browser.request(callback, { signal }), PROVIDER_TIMEOUT_MS + 5_000);
      // The token request reached the frozen provider's socket and waits there, unread.
      await waitUntil(async () => (await unreadConnections(op.port)) > 0, 'the token request waits at the frozen provider', PROVIDER_TIMEOUT_MS);
      const page = await pending;
      expect(page.status).toBe(504);
      expect(page.ms).toBeLessThan(PROVIDER_TIMEOUT_MS + 2_000);
      expect(page.body).toContain('The identity provider did not answer');
      expect(page.body).toContain('did not answer the token request in time');
      expect(page.body).toContain('127.0.0.1'); // the provider's display name is its host here
      expect(await signedInSessions(env)).toBe(sessionsBefore);
      // The service closed its end: nothing of it is left waiting at the provider.
      await waitUntil(async () => (await unreadConnections(op.port)) === 0, 'no connection left waiting at the provider', 3_000);
    } finally {
      op.thaw();
    }
    await signsIn();
  }, 20_000);

  it('frozen before a login starts: readyz turns 503 at the next Test, the login answers a readable 503/504; after SIGCONT logins work again', async () => {
    op.freeze();
    try {
      await waitUntil(async () => (await fetch(`${env.url}/readyz`, { signal: AbortSignal.timeout(8_000) })).status === 503, 'not ready after the next Test', 5_000 + PROVIDER_TIMEOUT_MS + 3_000);
      const ready = await answered((signal) => fetch(`${env.url}/readyz`, { signal }), 8_000);
      expect(ready.body).not.toContain(op.issuer);
      expect(ready.body).not.toContain(String(op.port));
      const login = await answered((signal) => fetch(`${env.url}/auth/login?returnTo=/servicecenter`, { redirect: 'manual', headers: { accept: 'text/html' }, signal }), PROVIDER_TIMEOUT_MS + 5_000);
      expect([503, 504]).toContain(login.status);
      expect(login.location).toBeNull();
      expect(login.ms).toBeLessThan(PROVIDER_TIMEOUT_MS + 2_000);
      expect(login.body).toMatch(/Sign-in is unavailable|The identity provider did not answer/);
      expect(login.body).toContain('127.0.0.1');
    } finally {
      op.thaw();
    }
    await signsIn();
    await waitUntil(async () => (await fetch(`${env.url}/readyz`)).status === 200, 'ready again', 5_000 + PROVIDER_TIMEOUT_MS + 3_000);
  }, 30_000);

  it('killed and started again on the same port: sign-in works again without restarting the service', async () => {
    await op.kill();
    const down = await answered((signal) => fetch(`${env.url}/auth/login?returnTo=/servicecenter`, { redirect: 'manual', headers: { accept: 'text/html' }, signal }), 5_000);
    expect([302, 502, 503, 504]).toContain(down.status);
    await op.restart();
    await signsIn();
    await waitUntil(async () => (await fetch(`${env.url}/readyz`)).status === 200, 'ready after the restart', 5_000 + PROVIDER_TIMEOUT_MS + 3_000);
  }, 20_000);
});

describe('SIGTERM to a service process with a sign-in stuck on the provider', () => {
  let rogue: RogueOp;
  let db: TestDatabase;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // From a fresh clone there is no dist/ yet; an incremental build is quick when there is.
    await buildService();
    expect(existsSync('dist/main.js')).toBe(true);
    rogue = await startRogueOp(ROGUE_CLIENT);
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rogue.hang = new Set();
    await rogue?.close();
    await db?.drop();
  }, 30_000);

  /** `node <nodeArgs> dist/main.js` on the throwaway database and the rogue provider, its output collected. */
  async function spawnService(nodeArgs: string[], env: Record<string, string> = {}) {
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const { child: started, exited, output } = spawnBuiltService(
      {
        PORT: String(port),
        PUBLIC_URL: url,
        DATABASE_URL: db.url,
        OIDC_ISSUER: rogue.issuer,
        OIDC_CLIENT_ID: ROGUE_CLIENT.clientId,
        OIDC_CLIENT_SECRET: ROGUE_CLIENT.clientSecret,
        SESSION_SECRET: 'test-session-secret-0123456789',
        LOG_LEVEL: 'error',
        ...env,
      },
      nodeArgs,
    );
    child = started;
    return { started, url, exited, output };
  }

  it('runs from the bundle the build makes: NestJS, Swagger, es-toolkit, jose and our modules in one file', async () => {
    const bundle = readFileSync('dist/main.js', 'utf8');
    expect(bundle).not.toMatch(/(from|import\() *["'](@nestjs\/(common|core|swagger)|es-toolkit|jose|\.\/bootstrap\.js)/);
    expect(bundle).toMatch(/from "typeorm"/);
    const { started, url, exited, output } = await spawnService(['--enable-source-maps']);
    await waitUntil(async () => (await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200, `the bundled service is ready (${output()})`, 20_000);
    const document = await (await fetch(`${url}/api/docs-json`)).json();
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/admin/users', '/readyz']));
    started.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  }, 40_000);

  it('exits within SHUTDOWN_TIMEOUT_SECONDS plus a margin', async () => {
    const { started, url, exited, output } = await spawnService([], {
      // Longer than the shutdown: the stuck call must not be what ends it.
      OIDC_HTTP_TIMEOUT_MS: '60000',
      SHUTDOWN_TIMEOUT_SECONDS: '2',
    });
    await waitUntil(async () => (await fetch(`${url}/healthz`).then((r) => r.status, () => 0)) === 200, `the service listens (${output()})`, 15_000);

    rogue.hang = new Set(['/token']);
    const stuck = new TestBrowser().open(`${url}/servicecenter`, { signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
    await waitUntil(() => rogue.hungRequests > 0, 'the token request is in flight');

    const sentAt = Date.now();
    started.kill('SIGTERM');
    const exit = await Promise.race([exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 6_000))]);
    expect(exit, `still running 6 s after SIGTERM:\n${output()}`).toBeDefined();
    expect(exit!.signal).toBeNull();
    expect(exit!.at - sentAt).toBeLessThan(2_000 + 1_500);
    expect(output()).toContain('SIGTERM: finishing the requests in flight (at most 2 s, SHUTDOWN_TIMEOUT_SECONDS)');
    await stuck;
    // Nothing of the process is left waiting at the provider.
    await waitUntil(() => rogue.openConnections() === 0, 'the token request socket is closed');
  }, 30_000);
});
