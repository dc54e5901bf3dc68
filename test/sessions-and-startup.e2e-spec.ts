import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwaggerModule } from '@nestjs/swagger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { startService } from '../src/bootstrap.js';
import { ConfigError } from '../src/config/app-config.js';
import { ensureEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { TestBrowser } from './support/browser.js';
import { freePort } from './support/ports.js';
import { DEVELOPER, heardByService, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

describe('session lifetime', () => {
  let env: TestService;

  beforeAll(async () => {
    env = await startTestService({ SESSION_IDLE_TIMEOUT_SECONDS: '600', SESSION_ABSOLUTE_TIMEOUT_SECONDS: '3600' });
  });
  afterAll(async () => {
    await env?.close();
  });

  async function signedIn(): Promise<{ browser: TestBrowser; userId: string }> {
    const browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
    const [row] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
    return { browser, userId: row.id };
  }

  /** The store's key: the signed cookie value `s:<sid>.<signature>`. */
  function storedSid(browser: TestBrowser): string {
    return decodeURIComponent(browser.cookie('localhost', 'frontdoor.sid')!).slice(2).split('.')[0];
  }

  it('sets the idle timeout on the cookie and in the store', async () => {
    const { browser, userId } = await signedIn();
    const cookie = browser.setCookieLine('localhost', 'frontdoor.sid')!;
    const expires = Date.parse(/Expires=([^;]+)/i.exec(cookie)![1]);
    expect(expires - Date.now()).toBeGreaterThan(590_000);
    expect(expires - Date.now()).toBeLessThan(610_000);
    const rows = await env.db.query<{ left: number }>('SELECT extract(epoch FROM expires_at - now()) AS left FROM sessions WHERE user_id = $1', [userId]);
    expect(rows.every((row) => row.left > 500 && row.left <= 3600)).toBe(true);
  });

  it('pushes the stored expiry forward while the session is used', async () => {
    const { browser } = await signedIn();
    const sid = storedSid(browser);
    await env.db.query(`UPDATE sessions SET expires_at = now() + interval '100 seconds' WHERE sid = $1`, [sid]);
    await heardByService(env);
    // The page is read to its end: the session is stored before the response ends.
    const used = await browser.open(`${env.url}/servicecenter`);
    expect(used.status).toBe(200);
    // The cookie is re-sent with the later expiry together with the row.
    const cookie = used.headers.getSetCookie().find((line) => line.startsWith('frontdoor.sid='))!;
    expect(Date.parse(/Expires=([^;]+)/i.exec(cookie)![1]) - Date.now()).toBeGreaterThan(590_000);
    const [row] = await env.db.query<{ left: number }>('SELECT extract(epoch FROM expires_at - now()) AS left FROM sessions WHERE sid = $1', [sid]);
    expect(Number(row.left)).toBeGreaterThan(500);
  });

  it('writes neither the cookie nor the row on a request that would move the idle expiry by less than a minute', async () => {
    const { browser } = await signedIn();
    const sid = storedSid(browser);
    const [before] = await env.db.query<{ expires_at: Date }>('SELECT expires_at FROM sessions WHERE sid = $1', [sid]);
    const used = await browser.open(`${env.url}/servicecenter`);
    expect(used.status).toBe(200);
    expect(used.headers.getSetCookie()).toEqual([]);
    const [after] = await env.db.query<{ expires_at: Date }>('SELECT expires_at FROM sessions WHERE sid = $1', [sid]);
    expect(after.expires_at).toEqual(before.expires_at);
  });

  it('asks for a login again once the session sat idle too long', async () => {
    const { browser, userId } = await signedIn();
    await env.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
    await heardByService(env);
    expect((await browser.request(`${env.url}/servicecenter`)).status).toBe(302);
  });

  it('asks for a login again past the absolute lifetime, however active the session', async () => {
    const { browser, userId } = await signedIn();
    await env.db.query(`UPDATE sessions SET data = jsonb_set(data, '{authenticatedAt}', to_jsonb((extract(epoch FROM now()) * 1000 - 3601000)::bigint)) WHERE user_id = $1`, [userId]);
    await heardByService(env);
    const response = await browser.request(`${env.url}/servicecenter`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^\/auth\/login/);
  });

  it('answers unknown providers and bare callbacks with readable 4xx pages', async () => {
    const browser = new TestBrowser();
    for (const path of ['/auth/login/nope', '/auth/callback/nope?code=x&state=y', '/auth/callback/default', '/auth/callback/default?code=x']) {
      const page = await browser.open(`${env.url}${path}`);
      expect(page.status, path).toBeGreaterThanOrEqual(400);
      expect(page.status, path).toBeLessThan(500);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
    }
  });
});

describe('secure cookies behind an https proxy', () => {
  it('marks the login cookie Secure when PUBLIC_URL is https', async () => {
    const port = await freePort();
    const env = await startTestService({ PORT: String(port), PUBLIC_URL: `https://localhost:${port}`, TRUST_PROXY: 'true' });
    try {
      const response = await fetch(`${env.url.replace('https', 'http')}/auth/login?returnTo=/servicecenter`, {
        headers: { 'x-forwarded-proto': 'https' },
        redirect: 'manual',
      });
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith('frontdoor.login='))!;
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/HttpOnly/i);
    } finally {
      await env.close();
    }
  });
});

describe('start-up', () => {
  it('refuses production without its required settings, before starting anything', async () => {
    const idpPort = await freePort();
    await expect(startService({ NODE_ENV: 'production', DEV_IDP_PORT: String(idpPort) })).rejects.toThrow(ConfigError);
    await expect(startService({ NODE_ENV: 'production', DEV_IDP_PORT: String(idpPort) })).rejects.toThrow(
      'NODE_ENV=production needs DATABASE_URL, OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, SESSION_SECRET (missing)',
    );
    const probe = await fetch(`http://127.0.0.1:${idpPort}/.well-known/openid-configuration`).catch(() => undefined);
    expect(probe).toBeUndefined();
  });

  it('builds the OpenAPI document on its first request, not while starting, and only once', async () => {
    const built = vi.spyOn(SwaggerModule, 'createDocument');
    const env = await startTestService();
    try {
      expect(built).not.toHaveBeenCalled();
      const document = await (await fetch(`${env.url}/api/docs-json`)).json();
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/admin/users', '/readyz']));
      expect((await fetch(`${env.url}/api/docs`)).headers.get('content-type')).toMatch(/text\/html/);
      expect((await fetch(`${env.url}/api/docs/swagger-ui-init.js`)).status).toBe(200);
      expect(await (await fetch(`${env.url}/api/docs-json`)).json()).toEqual(document);
      expect(built).toHaveBeenCalledTimes(1);
    } finally {
      built.mockRestore();
      await env.close();
    }
  });

  it('lets the CLI work against the embedded PostgreSQL while the service holds it, without stopping it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'frontdoor-embedded-'));
    await chmod(dataDir, 0o755);
    const port = await freePort();
    const serviceDatabase = await ensureEmbeddedPostgres({ dataDir, port });
    try {
      const out: string[] = [];
      const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) };
      const code = await runCli(['users', 'add', '--email', 'embedded@example.com'], env, { out: (line) => out.push(line), err: () => undefined });
      expect(code).toBe(0);
      expect(out[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(true);
      const again = await ensureEmbeddedPostgres({ dataDir, port: await freePort() });
      expect(again.url).toBe(serviceDatabase.url);
    } finally {
      await serviceDatabase.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
