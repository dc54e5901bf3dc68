import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStudio, type StudioIo } from '../src/studio-client/studio-cli.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin } from './support/desktop-login.js';
import { startNginx, type RunningNginx } from './support/nginx.js';
import { startProtectedApps, type Echo, type ProtectedApps } from './support/protected-apps.js';
import { ADMIN, DEVELOPER, isDevIdpLogin, signInThroughDevIdp, type TestService } from './support/service.js';
import { lacks, NGINX } from './support/system-packages.js';

/**
 * Programs with a desktop or device access token (`Authorization: Bearer`), and people refused for
 * lack of a role, who get a page that says which role and offers another account instead of the
 * proxy's bare 403.
 */
describe('forward auth for people and machines', () => {
  let env: TestService;
  let apps: ProtectedApps;
  let wiki: string;
  let reports: string;

  beforeAll(async () => {
    apps = await startProtectedApps({ COOKIE_DOMAIN: 'localhost', DEVICE_POLL_INTERVAL_SECONDS: '1' });
    ({ env, wiki, reports } = apps);
  });
  afterAll(async () => {
    await apps?.close();
  });

  // The forbidden page, asked for straight from the service.
  describe('asked directly', () => {
    it('offers a sign-in on the page when no one is signed in', async () => {
      const page = await new TestBrowser().open(`${env.url}/auth/forbidden?app=${encodeURIComponent(reports)}`);
      expect(page.status).toBe(403);
      expect(page.body).toContain('Reports needs the admin role.');
      expect(page.body).toContain(`/auth/login?prompt=login&amp;returnTo=${encodeURIComponent(`/auth/forbidden?app=${encodeURIComponent(reports)}`)}`);
    });

    it.each([
      ['another site', 'http://evil.example'],
      ['a path of a protected app', 'WIKI/x'],
      ['a scheme-relative address', '//evil.example'],
      ['a script', 'javascript:alert(1)'],
      ['garbage', '%%%'],
      ['nothing', ''],
    ])('answers an unknown app (%s) with a readable page, never a redirect', async (_, raw) => {
      const value = raw.replace('WIKI', wiki);
      const response = await fetch(`${env.url}/auth/forbidden?app=${encodeURIComponent(value)}`, { redirect: 'manual' });
      expect(response.status).toBe(404);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('This address is not an app protected by this service.');
    });

    it('answers a repeated or missing app parameter with the same page', async () => {
      for (const query of ['?app=a&app=b', '', `?app[x]=${encodeURIComponent(wiki)}`]) {
        const response = await fetch(`${env.url}/auth/forbidden${query}`, { redirect: 'manual' });
        expect(response.status, query).toBe(404);
        expect(response.headers.get('location'), query).toBeNull();
      }
    });
  });

  // Behind the README's nginx snippet, verbatim.
  describe.skipIf(lacks(NGINX))('behind a real nginx', () => {
    let nginx: RunningNginx;
    let dir: string;

    beforeAll(async () => {
      nginx = await startNginx({ servers: apps.sites, frontdoorAddress: apps.frontdoorAddress });
      dir = await mkdtemp(join(tmpdir(), 'frontdoor-studio-'));
    });
    afterAll(async () => {
      await nginx?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    function studioIo(lines: string[]): StudioIo {
      return { env: { STUDIO_CREDENTIALS_FILE: join(dir, 'credentials.json') }, out: (line) => lines.push(line), err: (line) => lines.push(line), openBrowser: () => {} };
    }

    /** `curl -H "Authorization: Bearer …"` through the proxy: redirects are not followed, as curl does not. */
    function call(url: string, token: string): Promise<Response> {
      return fetch(url, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
    }

    it("README's recipe: studio login --device, then curl through nginx with the token; refused at once after studio logout", async () => {
      const lines: string[] = [];
      const login = runStudio(['login', '--device', '--environment', env.url], studioIo(lines));
      // The person types the code into a browser anywhere (here: follows the complete link) and allows it.
      let link: string | undefined;
      for (let i = 0; i < 100 && !link; i++) {
        link = lines.map((line) => /open (\S+\?user_code=\S+)/.exec(line)?.[1]).find(Boolean);
        if (!link) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(link, lines.join('\n')).toBeDefined();
      const browser = new TestBrowser();
      const confirm = await signInThroughDevIdp(browser, link!, DEVELOPER);
      expect((await browser.submit(confirm, {}, '/device/allow')).status).toBe(200);
      expect(await login, lines.join('\n')).toBe(0);
      const { accessToken } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { accessToken: string };

      const answer = await call(`${wiki}/api/items?page=2`, accessToken);
      expect(answer.status).toBe(200);
      const { path, headers } = (await answer.json()) as Echo;
      expect(path).toBe('/api/items?page=2');
      const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
      expect(headers).toMatchObject({ 'x-auth-request-user': user.id, 'x-auth-request-email': DEVELOPER.email, 'x-auth-request-groups': 'developer' });
      const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', env.url));
      const { payload } = await jwtVerify(headers['x-frontdoor-assertion'], jwks, { issuer: env.url, audience: wiki, algorithms: ['ES256'] });
      expect(payload).toMatchObject({ sub: user.id, email: DEVELOPER.email, roles: ['developer'] });

      // A program is never sent to a page meant for a person: the statuses themselves.
      const noRole = await call(`${reports}/q1`, accessToken);
      expect(noRole.status).toBe(403);
      expect(noRole.headers.get('location')).toBeNull();
      const unknown = await call(`${wiki}/`, 'fdst_not-a-token');
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('location')).toBeNull();

      expect(await runStudio(['logout'], studioIo(lines))).toBe(0);
      const afterLogout = await call(`${wiki}/`, accessToken);
      expect(afterLogout.status).toBe(401);
      expect(afterLogout.headers.get('location')).toBeNull();
    });

    it("admits a Studio's handoff token the same way, and decides by the token alone when a session cookie comes along", async () => {
      const admin = new TestBrowser();
      await signInThroughDevIdp(admin, `${env.url}/servicecenter`, ADMIN);
      const tokens = await desktopLogin(env.url, admin);
      const answer = await call(`${reports}/q1`, tokens.accessToken);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as Echo).headers['x-auth-request-email']).toBe(ADMIN.email);

      // An admin's browser session does not rescue a bad token: the check is the token's.
      const mixed = await admin.request(`${reports}/q1`, { headers: { authorization: 'Bearer fdst_revoked-or-made-up' } });
      expect(mixed.status).toBe(401);
      expect(mixed.headers.get('location')).toBeNull();
    });

    it('sends a person without the role to a page naming the app and the role, whose Use another account leads into the app', async () => {
      const browser = new TestBrowser();
      await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER);
      const refused = await browser.request(`${reports}/q1`);
      expect(refused.status).toBe(302);
      const forbiddenUrl = `${env.url}/auth/forbidden?app=${encodeURIComponent(reports)}`;
      expect(refused.headers.get('location')).toBe(forbiddenUrl);

      const page = await browser.open(forbiddenUrl);
      expect(page.status).toBe(403);
      expect(page.body).toContain('No access to Reports');
      expect(page.body).toContain(`Reports needs the admin role, which ${DEVELOPER.email} does not have.`);
      expect(page.body).toContain('Use another account');
      expect(page.headers.get('cache-control')).toBe('no-store');

      // Another account: the provider asks again, and the admin lands in the app.
      const login = await browser.submit(page, {}, '/auth/switch-account');
      expect(isDevIdpLogin(login)).toBe(true);
      let landed = await browser.submit(login, { email: ADMIN.email, password: ADMIN.password });
      // The provider ends the developer's session there with a form that a browser submits by script.
      if (landed.body.includes('/session/end/confirm')) landed = await browser.submit(landed);
      expect(landed.url).toBe(`${reports}/`);
      expect(landed.status).toBe(200);
      expect(((JSON.parse(landed.body) as Echo).headers)['x-auth-request-email']).toBe(ADMIN.email);
    });
  });
});
