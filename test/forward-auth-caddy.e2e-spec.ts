import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser, type Page } from './support/browser.js';
import { CADDY_FORWARD_AUTH_SNIPPET, startCaddy, type RunningCaddy } from './support/caddy.js';
import { desktopLogin } from './support/desktop-login.js';
import { csrfForm } from './support/forms.js';
import { FORWARD_AUTH_SNIPPET } from './support/nginx.js';
import { startProtectedApps, type Echo, type ProtectedApps } from './support/protected-apps.js';
import { ADMIN, DEVELOPER, heardByService, signInThroughDevIdp, type TestService } from './support/service.js';
import { CADDY, lacks } from './support/system-packages.js';

/** fetch() will not send a Host header of its choosing; a raw request will, as any client can. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, location: response.headers.location }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/**
 * The README's Caddy site block (test/support/caddy-forward-auth.Caddyfile), run by Debian's caddy.
 * Caddy's forward_auth sends no X-Original-URL: the service reads X-Forwarded-Proto, -Host and -Uri,
 * the path Traefik takes too.
 */
describe.skipIf(lacks(CADDY))('forward auth behind a real Caddy', () => {
  let env: TestService;
  let caddy: RunningCaddy;
  let apps: ProtectedApps;
  let wiki: string;
  let reports: string;

  function echoed(page: Page): Echo {
    expect(page.status, page.body.slice(0, 500)).toBe(200);
    return JSON.parse(page.body) as Echo;
  }

  beforeAll(async () => {
    apps = await startProtectedApps({ COOKIE_DOMAIN: 'localhost' });
    ({ env, wiki, reports } = apps);
    caddy = await startCaddy({ sites: apps.sites, frontdoorAddress: apps.frontdoorAddress });
  });
  afterAll(async () => {
    await caddy?.close();
    await apps?.close();
  });

  it('sends a browser without a session through the login and back to the app, with identity headers and a verifiable assertion', async () => {
    const browser = new TestBrowser();
    // A query of several parameters comes back whole: the login's address is the front door's, encoded.
    const first = await browser.request(`${wiki}/pages/home?v=2&tab=history`);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(`${env.url}/auth/login?returnTo=${encodeURIComponent(`${wiki}/pages/home?v=2&tab=history`)}`);
    const page = await signInThroughDevIdp(browser, `${wiki}/pages/home?v=2&tab=history`, DEVELOPER);
    expect(page.url).toBe(`${wiki}/pages/home?v=2&tab=history`);
    const { path, headers } = echoed(page);
    expect(path).toBe('/pages/home?v=2&tab=history');
    const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
    expect(headers).toMatchObject({ 'x-auth-request-user': user.id, 'x-auth-request-email': DEVELOPER.email, 'x-auth-request-groups': 'developer' });

    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', env.url));
    const { payload } = await jwtVerify(headers['x-frontdoor-assertion'], jwks, { issuer: env.url, audience: wiki, algorithms: ['ES256'] });
    expect(payload).toMatchObject({ sub: user.id, email: DEVELOPER.email, roles: ['developer'] });
    await expect(jwtVerify(headers['x-frontdoor-assertion'], jwks, { issuer: env.url, audience: reports })).rejects.toThrow();

    // Identity headers a client sends itself are replaced by the front door's before they reach the app.
    const forged = await browser.open(`${wiki}/x`, {
      headers: { 'x-auth-request-user': 'someone-else', 'x-auth-request-email': 'ceo@example.com', 'x-auth-request-groups': 'admin', 'x-frontdoor-assertion': 'forged' },
    });
    expect(echoed(forged).headers).toMatchObject({ 'x-auth-request-user': user.id, 'x-auth-request-email': DEVELOPER.email, 'x-auth-request-groups': 'developer' });
    expect(echoed(forged).headers['x-frontdoor-assertion']).not.toBe('forged');
  });

  it('refuses an app whose role the user lacks (403) however the client names another app, and admits a user who has it', async () => {
    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const refused = await developer.open(`${reports}/q1`);
    expect(refused.status).toBe(403);
    expect(refused.url).toBe(`${env.url}/auth/forbidden?app=${encodeURIComponent(reports)}`);
    expect(refused.body).toContain('Reports needs the admin role');

    // The open wiki named by the client, each way a forward-auth check could learn the app: all ignored.
    const cookie = `frontdoor.sid=${developer.cookie('localhost', 'frontdoor.sid')}`;
    const wikiHost = new URL(wiki).host;
    const attempts: Record<string, string>[] = [
      { host: wikiHost },
      { 'x-forwarded-host': wikiHost },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': wikiHost, 'x-forwarded-uri': '/' },
      { 'x-original-url': `${wiki}/` },
    ];
    for (const headers of attempts) {
      const answer = await rawGet(`${reports}/q1`, { cookie, ...headers });
      // Refused: sent to the page that names the reports app's role.
      expect(answer.status, JSON.stringify(headers)).toBe(302);
      expect(answer.location, JSON.stringify(headers)).toBe(`${env.url}/auth/forbidden?app=${encodeURIComponent(reports)}`);
    }
    // The same cookie does reach the wiki: the refusals above are the role check, not a broken session.
    expect((await rawGet(`${wiki}/`, { cookie })).status).toBe(200);

    const admin = new TestBrowser();
    const page = await signInThroughDevIdp(admin, `${reports}/q1`, ADMIN);
    expect(echoed(page).headers['x-auth-request-groups']).toBe('admin,developer');
  });

  it('lets a program in with its access token, and answers its refusals with the bare statuses, never a page', async () => {
    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const { accessToken } = await desktopLogin(env.url, developer);
    const call = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
    const admitted = await call(`${wiki}/api/items`, accessToken);
    expect(admitted.status).toBe(200);
    expect(((await admitted.json()) as Echo).headers['x-auth-request-email']).toBe(DEVELOPER.email);
    const noRole = await call(`${reports}/q1`, accessToken);
    expect([noRole.status, noRole.headers.get('location')]).toEqual([403, null]);
    const unknown = await call(`${wiki}/`, 'fdst_made-up');
    expect([unknown.status, unknown.headers.get('location')]).toEqual([401, null]);
  });

  it('sends the browser to the login again after logout and after its session is revoked', async () => {
    const browser = new TestBrowser();
    echoed(await signInThroughDevIdp(browser, `${wiki}/`, DEVELOPER));
    const form = csrfForm((await browser.open(`${env.url}/servicecenter`)).body);
    const logout = await browser.request(`${env.url}/auth/logout`, { method: 'POST', body: form.body, headers: { ...form.headers, origin: env.url } });
    expect(logout.status).toBe(303);
    const after = await browser.request(`${wiki}/`);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toBe(`${env.url}/auth/login?returnTo=${encodeURIComponent(`${wiki}/`)}`);

    const admin = new TestBrowser();
    echoed(await signInThroughDevIdp(admin, `${reports}/`, ADMIN));
    const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    await env.db.query('DELETE FROM sessions WHERE user_id = $1', [user.id]);
    await heardByService(env);
    const revoked = await admin.request(`${reports}/`);
    expect(revoked.status).toBe(302);
    expect(revoked.headers.get('location')).toBe(`${env.url}/auth/login?returnTo=${encodeURIComponent(`${reports}/`)}`);
  });
});

describe("the README's reverse-proxy snippets", () => {
  it('are the files the nginx and Caddy tests run, verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`nginx\n${FORWARD_AUTH_SNIPPET}\`\`\``);
    expect(readme).toContain(`\`\`\`caddy\n${CADDY_FORWARD_AUTH_SNIPPET}\`\`\``);
  });
});
