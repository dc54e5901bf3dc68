import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { TestBrowser } from './support/browser.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, STRANGER, type TestService } from './support/service.js';

describe('admin API, CLI, health and API docs', () => {
  let env: TestService;
  let token: string;

  async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { code, out, err };
  }

  function api(path: string, init: RequestInit & { json?: unknown; bearer?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.bearer) headers.set('authorization', `Bearer ${init.bearer}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${env.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  }

  async function userCount(): Promise<number> {
    return Number((await env.db.query<{ n: string }>('SELECT count(*) AS n FROM users'))[0].n);
  }

  beforeAll(async () => {
    env = await startTestService();
    const created = await cli('tokens', 'create', '--email', ADMIN.email);
    expect(created.code).toBe(0);
    expect(created.out).toHaveLength(1);
    token = created.out[0];
  });
  afterAll(async () => {
    await env?.close();
  });

  it('answers 401 without credentials and with a wrong token', async () => {
    const anonymous = await api('/api/admin/users');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await anonymous.json()).error).toBe('unauthenticated');
    expect((await api('/api/admin/users', { bearer: 'fdat_wrong' })).status).toBe(401);
    expect((await api('/api/admin/users', { bearer: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') })).status).toBe(401);
  });

  it('keeps API tokens hashed', async () => {
    const rows = await env.db.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.token_hash.length === 64 && !token.includes(row.token_hash))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('lists, creates, reads, updates and deactivates users with an admin API token', async () => {
    const list = await api('/api/admin/users', { bearer: token });
    expect(list.status).toBe(200);
    expect((await list.json()).map((u: { email: string }) => u.email)).toEqual(expect.arrayContaining([ADMIN.email, DEVELOPER.email]));

    const created = await api('/api/admin/users', { method: 'POST', bearer: token, json: { email: 'New.Person@Example.com', displayName: 'New Person', roles: ['developer'] } });
    expect(created.status).toBe(201);
    const user = await created.json();
    expect(user).toMatchObject({ email: 'new.person@example.com', displayName: 'New Person', roles: ['developer'], active: true });

    expect(await (await api(`/api/admin/users/${user.id}`, { bearer: token })).json()).toMatchObject({ id: user.id });
    const patched = await api(`/api/admin/users/${user.id}`, { method: 'PATCH', bearer: token, json: { roles: ['admin', 'developer'] } });
    expect((await patched.json()).roles).toEqual(['admin', 'developer']);
    const deleted = await api(`/api/admin/users/${user.id}`, { method: 'DELETE', bearer: token });
    expect(deleted.status).toBe(200);
    expect((await deleted.json()).active).toBe(false);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email' }],
    ['an unknown role', { email: 'x@example.com', roles: ['root'] }],
    ['an unknown field', { email: 'x@example.com', isAdmin: true }],
    ['a missing email', { displayName: 'Nobody' }],
    ['an existing email', { email: ADMIN.email.toUpperCase() }],
  ])('refuses to create a user with %s (4xx, nothing written)', async (_label, body) => {
    const before = await userCount();
    const response = await api('/api/admin/users', { method: 'POST', bearer: token, json: body });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect((await response.json()).message).toBeTruthy();
    expect(await userCount()).toBe(before);
  });

  it('answers malformed JSON, bad ids and unknown ids with 4xx', async () => {
    const malformed = await api('/api/admin/users', { method: 'POST', bearer: token, headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).message).toMatch(/JSON/);
    const before = await userCount();
    const huge = await api('/api/admin/users', { method: 'POST', bearer: token, json: { email: 'big@example.com', displayName: 'x'.repeat(200_000) } });
    expect(huge.status).toBe(413);
    expect(await userCount()).toBe(before);
    expect((await api('/api/admin/users/not-a-uuid', { bearer: token })).status).toBe(400);
    expect((await api('/api/admin/users/7d9f3c1e-8a4b-4c2d-9e5f-1a2b3c4d5e6f', { bearer: token })).status).toBe(404);
    expect((await api('/api/admin/users/7d9f3c1e-8a4b-4c2d-9e5f-1a2b3c4d5e6f', { method: 'PATCH', bearer: token, json: { active: 'yes' } })).status).toBe(400);
  });

  it('accepts a signed-in admin’s session from the same origin only, and refuses a developer', async () => {
    const admin = new TestBrowser();
    await signInThroughDevIdp(admin, `${env.url}/servicecenter`, ADMIN);
    const cookie = `frontdoor.sid=${admin.cookie('localhost', 'frontdoor.sid')}`;
    expect((await api('/api/admin/users', { headers: { cookie } })).status).toBe(200);

    const sameOrigin = await api('/api/admin/users', { method: 'POST', headers: { cookie, origin: env.url }, json: { email: 'session-made@example.com' } });
    expect(sameOrigin.status).toBe(201);
    const before = await userCount();
    for (const origin of ['https://evil.example', undefined]) {
      const headers: Record<string, string> = { cookie };
      if (origin) headers.origin = origin;
      const forged = await api('/api/admin/users', { method: 'POST', headers, json: { email: 'csrf@example.com' } });
      expect(forged.status).toBe(403);
    }
    expect(await userCount()).toBe(before);

    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const devCookie = `frontdoor.sid=${developer.cookie('localhost', 'frontdoor.sid')}`;
    const forbidden = await api('/api/admin/users', { headers: { cookie: devCookie } });
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).message).toContain('admin');
  });

  it('ends a deactivated user’s console sessions at once', async () => {
    const user = await (await api('/api/admin/users', { method: 'POST', bearer: token, json: { email: STRANGER.email, displayName: STRANGER.name } })).json();
    const browser = new TestBrowser();
    const page = await signInThroughDevIdp(browser, `${env.url}/servicecenter`, STRANGER);
    expect(page.status).toBe(200);
    expect((await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [user.id])).length).toBe(1);

    expect((await api(`/api/admin/users/${user.id}`, { method: 'DELETE', bearer: token })).status).toBe(200);
    expect((await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [user.id])).length).toBe(0);
    const after = await browser.request(`${env.url}/servicecenter`);
    expect(after.status).toBe(302);
    const again = await signInThroughDevIdp(browser, `${env.url}/servicecenter`, STRANGER);
    expect(again.status).toBe(403);
  });

  it('adds users and refuses bad input from the command line', async () => {
    const added = await cli('users', 'add', '--email', 'cli.user@example.com', '--name', 'Cli User', '--admin');
    expect(added.code).toBe(0);
    const [row] = await env.db.query<{ display_name: string; roles: string[] }>('SELECT display_name, roles FROM users WHERE email = $1', ['cli.user@example.com']);
    expect(row).toEqual({ display_name: 'Cli User', roles: ['admin', 'developer'] });
    expect((await cli('users', 'add')).code).toBe(2);
    await expect(cli('users', 'add', '--email', 'not-an-email')).rejects.toThrow('not an email address');
    await expect(cli('tokens', 'create', '--email', DEVELOPER.email)).rejects.toThrow('not an admin');
  });

  it('serves health, readiness and the OpenAPI document', async () => {
    expect((await api('/healthz')).status).toBe(200);
    const ready = await api('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect((await api('/api/docs')).headers.get('content-type')).toMatch(/text\/html/);
    const document = await (await api('/api/docs-json')).json();
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/admin/users', '/api/admin/users/{id}', '/healthz', '/readyz']));
  });
});
