import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { ACCESS_METADATA, type AccessRule } from '../src/auth/decorators.js';
import { TestBrowser, type Page } from './support/browser.js';
import { csrfForm } from './support/forms.js';
import { heardByService, startTestService, type TestService } from './support/service.js';

const PASSWORD = 'correct horse battery staple';
const DOWN_PROVIDER = { OIDC_ISSUER: 'http://127.0.0.1:9/unreachable', OIDC_CLIENT_ID: 'front-door', OIDC_CLIENT_SECRET: 'secret-0123456789' };
/** An app behind forward auth, open to every active user; the test itself plays the proxy that asks /auth/verify. */
const WIKI = 'http://wiki.localhost:8080';

async function cli(env: TestService, argv: string[], input = ''): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { DATABASE_URL: env.db.url }, { out: (l) => out.push(l), err: (l) => err.push(l), readInput: async () => input });
  return { code, out, err };
}

function post(browser: TestBrowser, url: string, fields: Record<string, string>): Promise<Page> {
  return browser.open(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin }, body: new URLSearchParams(fields) });
}

describe('break-glass sign-in with the identity provider down', () => {
  let env: TestService;
  let adminId: string;
  const hashOf = async (email: string) => (await env.db.query<{ h: string | null }>('SELECT break_glass_password_hash AS h FROM users WHERE email = $1', [email]))[0]?.h ?? null;
  const sessionRows = () => env.db.query<{ user_id: string | null; data: Record<string, unknown>; expires_at: Date }>('SELECT user_id, data, expires_at FROM sessions WHERE user_id IS NOT NULL');
  const audit = () => env.db.query<{ type: string; outcome: string; reason: string | null; user_id: string | null; details: Record<string, unknown> }>(`SELECT type, outcome, reason, user_id, details FROM audit_events WHERE type = 'breakglass.login' ORDER BY id`);

  beforeAll(async () => {
    env = await startTestService({ ...DOWN_PROVIDER, TRUST_PROXY: 'loopback', PROTECTED_APPS: JSON.stringify([{ origin: WIKI, name: 'Wiki' }]) });
    adminId = (await cli(env, ['users', 'add', '--email', 'root@example.com', '--name', 'Root Admin', '--admin'])).out[0];
    await cli(env, ['users', 'add', '--email', 'dev@example.com']);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('sets a password from stdin for admins only, at least 12 characters, hashed with Argon2id (OWASP parameters)', async () => {
    await expect(cli(env, ['users', 'set-password', '--email', 'root@example.com'], 'short-pass\n')).rejects.toThrow('at least 12 characters');
    expect(await hashOf('root@example.com')).toBeNull();
    await expect(cli(env, ['users', 'set-password', '--email', 'dev@example.com'], `${PASSWORD}\n`)).rejects.toThrow('not an active admin');
    expect(await hashOf('dev@example.com')).toBeNull();
    await expect(cli(env, ['users', 'set-password', '--email', 'nobody@example.com'], `${PASSWORD}\n`)).rejects.toThrow('No user');

    const set = await cli(env, ['users', 'set-password', '--email', 'root@example.com'], `${PASSWORD}\n`);
    expect(set.code).toBe(0);
    expect(set.out).toEqual([]);
    const hash = await hashOf('root@example.com');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain(PASSWORD);
  });

  it('links the break-glass page from "Sign-in is unavailable", and not from the start page', async () => {
    const browser = new TestBrowser();
    const unavailable = await browser.open(`${env.url}/lifetime`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body).toContain('Sign-in is unavailable');
    expect(unavailable.body).toContain('href="/auth/break-glass"');
    expect((await browser.open(`${env.url}/`)).body).not.toContain('break-glass');
    const form = await browser.open(`${env.url}/auth/break-glass`);
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="password"');
  });

  it('answers a wrong password and an unknown account alike: 401, the form again, no session', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    const before = await audit();
    const wrong = await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: 'root@example.com', password: 'not the password' });
    const unknown = await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: 'ghost@example.com', password: 'not the password' });
    const notAdmin = await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: 'dev@example.com', password: PASSWORD });
    for (const page of [wrong, unknown, notAdmin]) {
      expect(page.status).toBe(401);
      expect(page.body).toContain('Wrong email or password, or this account has no break-glass access.');
      expect(page.body).toContain('name="password"');
    }
    expect(await sessionRows()).toEqual([]);
    const events = (await audit()).slice(before.length);
    expect(events.map((e) => [e.outcome, e.reason])).toEqual([['failure', 'bad_credentials'], ['failure', 'bad_credentials'], ['failure', 'bad_credentials']]);
    expect(JSON.stringify(events)).not.toContain('not the password');
    const empty = await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: '', password: '' });
    expect(empty.status).toBe(400);
  });

  it('signs an admin in to LifeTime only, for BREAK_GLASS_SESSION_SECONDS, with a red banner, a warning and an audit event', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    const browser = new TestBrowser();
    const response = await browser.request(`${env.url}/auth/break-glass`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email: 'Root@Example.com', password: PASSWORD }) });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/lifetime');
    const [row] = await sessionRows();
    expect(row.user_id).toBe(adminId);
    expect(row.data.breakGlass).toBe(true);
    expect(row.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 900_000 + 5_000);

    const lifetime = await browser.open(`${env.url}/lifetime`);
    expect(lifetime.status).toBe(200);
    expect(lifetime.body).toContain('id="break-glass-banner"');
    const users = await browser.open(`${env.url}/lifetime/users`);
    expect(users.status).toBe(200);
    expect(users.body).toContain('break-glass-banner');

    const [success] = (await audit()).filter((e) => e.outcome === 'success');
    expect(success).toMatchObject({ user_id: adminId, details: { sessionSeconds: 900 } });

    // Past its own end the session no longer opens LifeTime, however active it was.
    await env.db.query(`UPDATE sessions SET data = jsonb_set(data, '{endsAt}', to_jsonb($1::bigint)) WHERE user_id = $2`, [Date.now() - 1000, adminId]);
    await heardByService(env);
    const ended = await browser.open(`${env.url}/lifetime`);
    expect(ended.hops[0].location).toBe('/auth/login?returnTo=%2Flifetime');
    expect(await sessionRows()).toEqual([]);
  });

  it('refuses a break-glass session everywhere but LifeTime (403 saying why), writing nothing', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    const browser = new TestBrowser();
    await post(browser, `${env.url}/auth/break-glass`, { email: 'root@example.com', password: PASSWORD });
    const usersBefore = await env.db.query('SELECT * FROM users ORDER BY id');
    const serviceCenter = await browser.open(`${env.url}/servicecenter`);
    expect(serviceCenter.status).toBe(403);
    expect(serviceCenter.hops).toEqual([]);
    expect(serviceCenter.body).toContain('opens LifeTime only');
    const handoff = await browser.open(`${env.url}/desktop/handoff/7d9f3c1e-8a4b-4c2d-9e5f-1a2b3c4d5e6f`);
    expect(handoff.status).toBe(403);
    expect(handoff.body).toContain('opens LifeTime only');
    const list = await browser.request(`${env.url}/api/admin/users`);
    expect(list.status).toBe(403);
    expect((await list.json()).error).toBe('break_glass_session');
    const create = await browser.request(`${env.url}/api/admin/users`, { method: 'POST', headers: { 'content-type': 'application/json', origin: env.url }, body: JSON.stringify({ email: 'made-by-break-glass@example.com' }) });
    expect(create.status).toBe(403);
    expect(await env.db.query('SELECT * FROM users ORDER BY id')).toEqual(usersBefore);
  });

  it('refuses a break-glass session at forward auth (/auth/verify: 403, no assertion), /device and the start page; logs it out', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    const verify = (browser: TestBrowser) =>
      browser.request(`${env.url}/auth/verify`, { headers: { 'x-forwarded-proto': 'http', 'x-forwarded-host': new URL(WIKI).host, 'x-forwarded-uri': '/page', accept: 'application/json' } });
    // The app is configured: without a session the proxy is told to send the browser to the login.
    expect((await verify(new TestBrowser())).status).toBe(401);

    const browser = new TestBrowser();
    expect((await post(browser, `${env.url}/auth/break-glass`, { email: 'root@example.com', password: PASSWORD })).status).toBe(200);
    const verified = await verify(browser);
    expect(verified.status).toBe(403);
    expect(verified.headers.get('x-frontdoor-assertion')).toBeNull();
    expect(verified.headers.get('x-auth-request-email')).toBeNull();
    expect(await verified.json()).toMatchObject({ error: 'break_glass_session' });

    for (const path of ['/device', '/device?user_code=BCDF-GHJK', '/']) {
      const refused = await browser.open(`${env.url}${path}`);
      expect(refused.status, path).toBe(403);
      expect(refused.body).toContain('opens LifeTime only');
      expect(refused.body).toContain('action="/auth/switch-account"');
    }
    // What LifeTime itself needs still works: its pages, their script, and Log out.
    const lifetime = await browser.open(`${env.url}/lifetime`);
    expect(lifetime.status).toBe(200);
    expect((await browser.request(`${env.url}/assets/copy-button.js`)).status).toBe(200);
    const logout = await browser.request(`${env.url}/auth/logout`, { method: 'POST', ...csrfForm(lifetime.body), headers: { ...csrfForm(lifetime.body).headers, origin: env.url } });
    expect(logout.status).toBe(303);
    expect((await browser.open(`${env.url}/lifetime`)).hops[0].location).toBe('/auth/login?returnTo=%2Flifetime');
  });

  it('refuses a break-glass form sent by another site, even with the right password: 403, no session, nothing counted', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    const sessionsBefore = (await sessionRows()).length;
    const auditBefore = (await audit()).length;
    for (const headers of <Record<string, string>[]>[{ origin: 'https://evil.example' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }]) {
      const forged = await new TestBrowser().open(`${env.url}/auth/break-glass`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ email: 'root@example.com', password: PASSWORD }),
      });
      expect(forged.status, JSON.stringify(headers)).toBe(403);
      expect(forged.body).toContain('did not come from this site');
    }
    expect((await sessionRows()).length).toBe(sessionsBefore);
    expect((await audit()).length).toBe(auditBefore);
    expect(await env.db.query('SELECT key FROM break_glass_attempts')).toEqual([]);
    // The page's own post (Origin null under no-referrer, same-origin fetch metadata) signs in.
    const own = await new TestBrowser().request(`${env.url}/auth/break-glass`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ email: 'root@example.com', password: PASSWORD }),
    });
    expect(own.status).toBe(303);
  });

  it('opens to a break-glass session only the routes LifeTime needs, every other one refusing it by default', () => {
    const open: string[] = [];
    for (const module of env.service.app.get(ModulesContainer).values()) {
      for (const { metatype } of module.controllers.values()) {
        if (!metatype) continue;
        const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
        for (const name of Object.getOwnPropertyNames(metatype.prototype)) {
          const handler = metatype.prototype[name] as object;
          const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
          if (path === undefined || typeof handler !== 'function') continue;
          const rule = (Reflect.getMetadata(ACCESS_METADATA, handler) ?? Reflect.getMetadata(ACCESS_METADATA, metatype) ?? {}) as AccessRule;
          if (!rule.breakGlass) continue;
          const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
          for (const one of [path].flat()) open.push(`${method} /${[base, one].filter(Boolean).join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1'));
        }
      }
    }
    const outsideLifeTime = open.filter((route) => !/^\w+ \/lifetime(\/|$)/.test(route)).sort();
    expect(outsideLifeTime).toEqual(['GET /assets/copy-button.js', 'GET /auth/break-glass', 'GET /auth/signed-out', 'POST /auth/break-glass', 'POST /auth/logout', 'POST /auth/switch-account']);
    expect(open.length).toBeGreaterThan(outsideLifeTime.length);
  });

  it('locks an account after 5 failures: the right password is refused with 429 and Retry-After, and no session', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    const sessionsBefore = (await sessionRows()).length;
    for (let i = 0; i < 5; i++) {
      expect((await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: 'root@example.com', password: `wrong-${i}` })).status).toBe(401);
    }
    const locked = await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: 'root@example.com', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body).toContain('Too many failed attempts');
    expect(locked.body).toContain('name="password"');
    expect((await sessionRows()).length).toBe(sessionsBefore);
    expect((await audit()).at(-1)).toMatchObject({ outcome: 'failure', reason: 'locked' });
  });

  it('refuses a burst of simultaneous guesses past the limit without checking them', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    const pages = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: 'root@example.com', password: `burst-guess-${i}` })),
    );
    const statuses = pages.map((page) => page.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(7);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
  });

  it('locks an address after 10 failures on any accounts, so spraying names does not get round it', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    for (let i = 0; i < 10; i++) {
      expect((await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: `guess-${i}@example.com`, password: 'guessing-password' })).status).toBe(401);
    }
    const sessionsBefore = (await sessionRows()).length;
    const locked = await post(new TestBrowser(), `${env.url}/auth/break-glass`, { email: 'root@example.com', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect((await sessionRows()).length).toBe(sessionsBefore);
    const rows = await env.db.query<{ key: string }>('SELECT key FROM break_glass_attempts WHERE locked_until > now()');
    expect(rows.map((r) => r.key)).toEqual([expect.stringMatching(/^address:/)]);
  });
});

describe('break-glass locks against an attacker who knows the admin\'s email', () => {
  const ATTACKER = '203.0.113.66';
  const ADMIN_DESK = '198.51.100.7';
  let env: TestService;

  /** A sign-in from `address` (TRUST_PROXY believes this test's X-Forwarded-For, as it would a proxy's). */
  const signIn = (address: string, password: string, email = 'root@example.com') =>
    new TestBrowser().request(`${env.url}/auth/break-glass`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
      body: new URLSearchParams({ email, password }),
    });
  const statuses = async (attempts: Promise<Response>[]) => (await Promise.all(attempts)).map((response) => response.status);
  const lockOf = async (key: string) => (await env.db.query<{ locked_until: Date | null; failures: number }>('SELECT locked_until, failures FROM break_glass_attempts WHERE key = $1', [key]))[0];
  /** The lock's time has passed (the tests do not wait out 30 seconds). */
  const endLocks = () => env.db.query(`UPDATE break_glass_attempts SET locked_until = now() - interval '1 second' WHERE locked_until IS NOT NULL`);

  beforeAll(async () => {
    env = await startTestService({ ...DOWN_PROVIDER, TRUST_PROXY: 'loopback' });
    await cli(env, ['users', 'add', '--email', 'root@example.com', '--admin']);
    await cli(env, ['users', 'set-password', '--email', 'root@example.com'], PASSWORD);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('lets the admin in from another address while an attacker keeps failing and is locked', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    expect(await statuses(Array.from({ length: 5 }, (_, i) => signIn(ATTACKER, `wrong-${i}`)))).toEqual([401, 401, 401, 401, 401]);
    // Locked: the attacker's next tries, the right password among them, are refused without a check.
    expect(await statuses([signIn(ATTACKER, 'wrong-5'), signIn(ATTACKER, PASSWORD), signIn(ATTACKER, 'wrong-6')])).toEqual([429, 429, 429]);
    // The admin, at the same time, from their own desk.
    const [admin, ...attacker] = await Promise.all([signIn(ADMIN_DESK, PASSWORD), ...Array.from({ length: 8 }, (_, i) => signIn(ATTACKER, `wrong-again-${i}`))]);
    expect(admin.status).toBe(303);
    expect(admin.headers.get('location')).toBe('/lifetime');
    expect(attacker.map((response) => response.status).every((status) => status === 429)).toBe(true);
  });

  it("ends a lock when its time ends: tries during it neither count nor renew it, and then the right password works from the attacker's address too", async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    for (let i = 0; i < 5; i++) expect((await signIn(ATTACKER, `wrong-${i}`)).status).toBe(401);
    const key = `account-address:root@example.com ${ATTACKER}`;
    const locked = await lockOf(key);
    expect(locked.failures).toBe(5);
    for (let i = 0; i < 5; i++) expect((await signIn(ATTACKER, `during-lock-${i}`)).status).toBe(429);
    expect(await lockOf(key)).toEqual(locked);

    await endLocks();
    // The next wrong password is checked (401, not 429), and only it makes the next lock longer.
    expect((await signIn(ATTACKER, 'after-lock')).status).toBe(401);
    const longer = await lockOf(key);
    expect(longer.failures).toBe(6);
    expect(longer.locked_until!.getTime() - Date.now()).toBeGreaterThan(45_000);

    await endLocks();
    const right = await signIn(ATTACKER, PASSWORD);
    expect(right.status).toBe(303);
    expect(await lockOf(key)).toBeUndefined();
  });

  it('locks the account itself only past a higher ceiling, reached from many addresses', async () => {
    await env.db.query('DELETE FROM break_glass_attempts');
    // 29 addresses, one wrong password each: no address and no account-address count is near its limit.
    for (let i = 0; i < 29; i++) expect((await signIn(`192.0.2.${i + 1}`, 'wrong')).status).toBe(401);
    expect((await signIn(ADMIN_DESK, PASSWORD)).status).toBe(303);
    // The admin's success gave its attempt back; the 30th failure locks the account everywhere.
    expect((await signIn('192.0.2.100', 'wrong')).status).toBe(401);
    const elsewhere = await signIn(ADMIN_DESK, PASSWORD);
    expect(elsewhere.status).toBe(429);
    expect(Number(elsewhere.headers.get('retry-after'))).toBeGreaterThan(0);
    await endLocks();
    expect((await signIn(ADMIN_DESK, PASSWORD)).status).toBe(303);
  });
});

describe('break-glass turned off', () => {
  let env: TestService;
  beforeAll(async () => {
    env = await startTestService({ ...DOWN_PROVIDER, BREAK_GLASS_ENABLED: 'false' });
    await cli(env, ['users', 'add', '--email', 'root@example.com', '--admin']);
    await cli(env, ['users', 'set-password', '--email', 'root@example.com'], PASSWORD);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('answers 404 to the page and the form, signs nobody in, and does not link it', async () => {
    const browser = new TestBrowser();
    expect((await browser.open(`${env.url}/auth/break-glass`)).status).toBe(404);
    const posted = await post(browser, `${env.url}/auth/break-glass`, { email: 'root@example.com', password: PASSWORD });
    expect(posted.status).toBe(404);
    expect(posted.body).toContain('turned off');
    expect(await env.db.query('SELECT 1 FROM sessions WHERE user_id IS NOT NULL')).toEqual([]);
    expect((await browser.open(`${env.url}/lifetime`)).body).not.toContain('/auth/break-glass');
  });
});
