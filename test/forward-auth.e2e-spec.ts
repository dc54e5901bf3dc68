import { get as httpGet } from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../src/bootstrap.js';
import { SigningKeysService } from '../src/forward-auth/signing-keys.service.js';
import { TestBrowser, type Page } from './support/browser.js';
import { desktopLogin } from './support/desktop-login.js';
import { csrfForm } from './support/forms.js';
import { startNginx, type RunningNginx } from './support/nginx.js';
import { freePort } from './support/ports.js';
import { startProtectedApps, type Echo, type ProtectedApps } from './support/protected-apps.js';
import { ADMIN, DEVELOPER, heardByService, signInThroughDevIdp, startInProductionWithoutEncryptionKey, TEST_ENCRYPTION_KEY, type TestService } from './support/service.js';
import { lacks, NGINX } from './support/system-packages.js';

/** fetch() will not send a Host header of its choosing; a raw request will, as any client can. */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers, timeout: 5_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/**
 * The check exactly as Traefik's ForwardAuth makes it with the README's middleware
 * (`authRequestHeaders: ["Cookie", "Authorization"]`, `trustForwardHeader` off): a GET of the address
 * carrying the client's Cookie or Authorization and the X-Forwarded-For, -Method, -Proto, -Host and
 * -Uri Traefik sets itself.
 */
function traefikCheck(
  verifyUrl: string,
  original: { url: string; method?: string; cookie?: string; authorization?: string },
  from = '127.0.0.1',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(original.url);
  const headers: Record<string, string> = {
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-method': original.method ?? 'GET',
    'x-forwarded-proto': url.protocol.slice(0, -1),
    'x-forwarded-host': url.host,
    'x-forwarded-uri': `${url.pathname}${url.search}`,
  };
  if (original.cookie) headers.cookie = original.cookie;
  if (original.authorization) headers.authorization = original.authorization;
  return new Promise((resolve, reject) => {
    const request = httpGet(verifyUrl, { headers, localAddress: from, timeout: 5_000 }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

describe('forward auth', () => {
  let env: TestService;
  let apps: ProtectedApps;
  let wiki: string;
  let reports: string;

  function echoed(page: Page): Echo {
    expect(page.status, page.body.slice(0, 500)).toBe(200);
    return JSON.parse(page.body) as Echo;
  }

  async function verifyAssertion(assertion: string, audience: string) {
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', env.url));
    return jwtVerify(assertion, jwks, { issuer: env.url, audience, algorithms: ['ES256'] });
  }

  beforeAll(async () => {
    apps = await startProtectedApps({ COOKIE_DOMAIN: 'localhost' });
    ({ env, wiki, reports } = apps);
  });
  afterAll(async () => {
    await apps?.close();
  });

  // What Traefik's ForwardAuth and any proxy ask /auth/verify, sent straight to the service.
  describe('asked directly', () => {
    it('answers /auth/verify 403 for an origin that is not a protected app, and 401 without a session', async () => {
      const browser = new TestBrowser();
      await signInThroughDevIdp(browser, `${env.url}/servicecenter`, ADMIN);
      const other = await browser.request(`${env.url}/auth/verify`, { headers: { 'x-original-url': 'http://localhost:1/x' } });
      expect(other.status).toBe(403);
      expect(other.headers.get('x-frontdoor-assertion')).toBeNull();
      const noHeader = await browser.request(`${env.url}/auth/verify`);
      expect(noHeader.status).toBe(403);
      const viaForwarded = await browser.request(`${env.url}/auth/verify`, {
        headers: { 'x-forwarded-proto': 'http', 'x-forwarded-host': new URL(reports).host, 'x-forwarded-uri': '/q2' },
      });
      expect(viaForwarded.status).toBe(200);
      // The session cookie as set at login (a signed-in request re-sends it only about once a minute).
      expect(browser.setCookieLine('localhost', 'frontdoor.sid')).toMatch(/^frontdoor\.sid=.*; Domain=localhost; Path=\/; Expires=.*HttpOnly; SameSite=Lax$/);
      expect(viaForwarded.headers.get('x-auth-request-email')).toBe(ADMIN.email);
      // Never kept by a cache between the proxy and this service: each check is decided afresh.
      expect(viaForwarded.headers.get('cache-control')).toBe('no-store');
      expect(viaForwarded.headers.get('content-length')).toBe('0');
      const anonymous = await fetch(`${env.url}/auth/verify`, { headers: { 'x-original-url': `${wiki}/` } });
      expect(anonymous.status).toBe(401);
    });

    it("answers Traefik's ForwardAuth request (X-Forwarded-Method, -Proto, -Host, -Uri, -For) from a TRUST_PROXY address, and nobody else's", async () => {
      const verify = `${env.url}/auth/verify`;
      const developer = new TestBrowser();
      await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
      const cookie = `frontdoor.sid=${developer.cookie('localhost', 'frontdoor.sid')}`;
      const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);

      const admitted = await traefikCheck(verify, { url: `${wiki}/pages/edit?id=7&tab=history`, method: 'POST', cookie });
      expect(admitted.status).toBe(200);
      expect(admitted.headers).toMatchObject({ 'x-auth-request-user': user.id, 'x-auth-request-email': DEVELOPER.email, 'x-auth-request-groups': 'developer' });
      const { payload } = await verifyAssertion(admitted.headers['x-frontdoor-assertion'] as string, wiki);
      expect(payload).toMatchObject({ sub: user.id, aud: wiki });

      expect((await traefikCheck(verify, { url: `${reports}/q1`, cookie })).status).toBe(403);
      // A program's bearer token, which the middleware passes on as well.
      const { accessToken } = await desktopLogin(env.url, developer);
      const byToken = await traefikCheck(verify, { url: `${wiki}/api/x`, authorization: `Bearer ${accessToken}` });
      expect(byToken.status).toBe(200);
      expect(byToken.headers).toMatchObject({ 'x-auth-request-user': user.id, 'x-auth-request-email': DEVELOPER.email });
      // No session: the 401 names the login that returns to the original URL, query and all.
      const anonymous = await traefikCheck(verify, { url: `${wiki}/pages/edit?id=7&tab=history` });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.location).toBe(`${env.url}/auth/login?returnTo=${encodeURIComponent(`${wiki}/pages/edit?id=7&tab=history`)}`);
      const unknownApp = await traefikCheck(verify, { url: `http://localhost:1/`, cookie });
      expect(unknownApp.status).toBe(403);
      expect(unknownApp.headers.location).toBeUndefined();
      // Traefik on another address than TRUST_PROXY names: its headers are not believed, whatever they say.
      const untrusted = await traefikCheck(verify, { url: `${wiki}/`, cookie }, '127.0.0.2');
      expect(untrusted.status).toBe(403);
      expect(untrusted.headers['x-frontdoor-assertion']).toBeUndefined();
    });

    it('lets a login return only to a protected app, never to another site', async () => {
      const browser = new TestBrowser();
      const page = await signInThroughDevIdp(browser, `${env.url}/auth/login?returnTo=${encodeURIComponent('http://evil.example/x')}`, DEVELOPER);
      expect(new URL(page.url).origin).toBe(env.url);
    });

    it('signs on every instance with a key the shared JWKS publishes', async () => {
      const port = await freePort();
      const second = await startService({
        PORT: String(port),
        PUBLIC_URL: env.url,
        DATABASE_URL: env.db.url,
        DEV_IDP_PORT: '0',
        SESSION_SECRET: 'test-session-secret-0123456789',
        // Every instance needs the same key: the private signing keys are sealed with it.
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        LOG_LEVEL: 'error',
        TRUST_PROXY: '127.0.0.1',
        PROTECTED_APPS: JSON.stringify([{ origin: wiki, name: 'Wiki' }]),
      });
      try {
        const secondUrl = `http://localhost:${port}`;
        const jwks = async (base: string) => (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
        expect(await jwks(secondUrl)).toEqual(await jwks(env.url));
        const browser = new TestBrowser();
        await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER);
        const verified = await browser.request(`${secondUrl}/auth/verify`, { headers: { 'x-original-url': `${wiki}/from-second` } });
        expect(verified.status).toBe(200);
        await verifyAssertion(verified.headers.get('x-frontdoor-assertion')!, wiki);
      } finally {
        await second.close();
      }
    });
  });

  describe.skipIf(lacks(NGINX))('behind a real nginx', () => {
    let nginx: RunningNginx;

    beforeAll(async () => {
      nginx = await startNginx({ servers: apps.sites, frontdoorAddress: apps.frontdoorAddress });
    });
    afterAll(async () => {
      await nginx?.close();
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
      expect(headers['x-auth-request-email']).toBe(DEVELOPER.email);
      expect(headers['x-auth-request-groups']).toBe('developer');
      const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
      expect(headers['x-auth-request-user']).toBe(user.id);

      const { payload, protectedHeader } = await verifyAssertion(headers['x-frontdoor-assertion'], wiki);
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({ iss: env.url, aud: wiki, sub: user.id, email: DEVELOPER.email, roles: ['developer'] });
      expect(payload.exp! - payload.iat!).toBe(60);
      // Made for the wiki: another app refuses it.
      await expect(verifyAssertion(headers['x-frontdoor-assertion'], reports)).rejects.toThrow();

      // Headers a client sends itself never reach the app.
      const forged = await browser.open(`${wiki}/x`, { headers: { 'x-auth-request-email': 'ceo@example.com' } });
      expect(echoed(forged).headers['x-auth-request-email']).toBe(DEVELOPER.email);
    });

    it('refuses an app whose role the user lacks (to the page that names the role), and admits a user who has it', async () => {
      const developer = new TestBrowser();
      await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
      const refused = await developer.open(`${reports}/q1`);
      expect(refused.status).toBe(403);
      expect(refused.url).toBe(`${env.url}/auth/forbidden?app=${encodeURIComponent(reports)}`);
      expect(refused.body).toContain('Reports needs the admin role');
      // Naming the open app in the Host header does not make the proxy ask about it.
      const disguised = await rawGet(`${reports}/q1`, { host: new URL(wiki).host, cookie: `frontdoor.sid=${developer.cookie('localhost', 'frontdoor.sid')}` });
      expect(disguised).toBe(302);
      expect(await rawGet(`${wiki}/q1`, { cookie: `frontdoor.sid=${developer.cookie('localhost', 'frontdoor.sid')}` })).toBe(200);

      const admin = new TestBrowser();
      const page = await signInThroughDevIdp(admin, `${reports}/q1`, ADMIN);
      expect(echoed(page).headers['x-auth-request-groups']).toBe('admin,developer');
    });

    it('sends the browser to the login again after logout and after its session is revoked', async () => {
      const browser = new TestBrowser();
      echoed(await signInThroughDevIdp(browser, `${wiki}/`, DEVELOPER));
      // Log out with the button of a console page (it carries the session's CSRF token).
      const form = csrfForm((await browser.open(`${env.url}/servicecenter`)).body);
      const logout = await browser.request(`${env.url}/auth/logout`, { method: 'POST', body: form.body, headers: { ...form.headers, origin: env.url } });
      expect(logout.status).toBe(303);
      // COOKIE_DOMAIN: the cookie is cleared for the same domain it was set for.
      expect(logout.headers.get('set-cookie')).toMatch(/^frontdoor\.sid=;.*Domain=localhost/);
      const after = await browser.request(`${wiki}/`);
      expect(after.status).toBe(302);
      expect(after.headers.get('location')).toBe(`${env.url}/auth/login?returnTo=${encodeURIComponent(`${wiki}/`)}`);

      const admin = new TestBrowser();
      echoed(await signInThroughDevIdp(admin, `${reports}/`, ADMIN));
      const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
      await env.db.query(`DELETE FROM sessions WHERE user_id = $1`, [user.id]);
      await heardByService(env);
      const revoked = await admin.request(`${reports}/`);
      expect(revoked.status).toBe(302);
      expect(revoked.headers.get('location')).toBe(`${env.url}/auth/login?returnTo=${encodeURIComponent(`${reports}/`)}`);
    });

    it('rotates the signing key without breaking a verifier that cached the old key set', async () => {
      const keys = env.service.app.get(SigningKeysService);
      const cached = (await (await fetch(`${env.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      expect(cached.keys).toHaveLength(1);
      expect(JSON.stringify(cached)).not.toMatch(/"d":/);

      // The current key has served its period: the next one is published ahead, the old one still signs.
      await env.db.query(`UPDATE assertion_signing_keys SET active_from = now() - interval '8 days', published_until = now() + interval '7 days'`);
      await keys.refresh();
      const published = (await (await fetch(`${env.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      expect(published.keys).toHaveLength(2);
      const browser = new TestBrowser();
      const before = echoed(await signInThroughDevIdp(browser, `${wiki}/`, DEVELOPER)).headers['x-frontdoor-assertion'];
      expect(decodeProtectedHeader(before).kid).toBe(cached.keys[0].kid);
      await jwtVerify(before, createLocalJWKSet(cached), { issuer: env.url, audience: wiki });

      // The next key takes over: verifiers holding the refreshed set accept old and new assertions alike.
      await env.db.query(`UPDATE assertion_signing_keys SET active_from = now() - interval '1 second' WHERE kid <> $1`, [cached.keys[0].kid]);
      await keys.refresh();
      const after = echoed(await browser.open(`${wiki}/`)).headers['x-frontdoor-assertion'];
      expect(decodeProtectedHeader(after).kid).not.toBe(cached.keys[0].kid);
      const refreshed = createLocalJWKSet(published);
      await jwtVerify(after, refreshed, { issuer: env.url, audience: wiki });
      await jwtVerify(before, refreshed, { issuer: env.url, audience: wiki });
      expect(((await (await fetch(`${env.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet).keys).toHaveLength(2);
    });

    it('keeps the private signing keys sealed with ENCRYPTION_KEY, bound to their key id, and seals a key written unsealed', async () => {
      const keys = env.service.app.get(SigningKeysService);
      const stored = async () => env.db.query<{ kid: string; text: string }>('SELECT kid, private_jwk::text AS text FROM assertion_signing_keys');
      for (const row of await stored()) {
        expect(JSON.parse(row.text)).toEqual({ sealed: expect.stringMatching(/^v1:/) });
      }

      // A key written unsealed (before keys were sealed, or while no key was set) is sealed at the next refresh, and signs.
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = 'written-unsealed';
      await env.db.query(
        `INSERT INTO assertion_signing_keys (kid, private_jwk, public_jwk, active_from, published_until) VALUES ($1, $2, $3, now(), now() + interval '7 days')`,
        [kid, { ...(await exportJWK(privateKey)), kid, alg: 'ES256' }, { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }],
      );
      await keys.refresh();
      const row = (await stored()).find((candidate) => candidate.kid === kid)!;
      expect(JSON.parse(row.text)).toEqual({ sealed: expect.stringMatching(/^v1:/) });
      expect(row.text).not.toMatch(/"d"/);
      const browser = new TestBrowser();
      const assertion = echoed(await signInThroughDevIdp(browser, `${wiki}/`, DEVELOPER)).headers['x-frontdoor-assertion'];
      expect(decodeProtectedHeader(assertion).kid).toBe(kid);
      await verifyAssertion(assertion, wiki);

      // A sealed key copied onto another key id's row does not open: the refresh fails and says which key.
      await env.db.query(
        `INSERT INTO assertion_signing_keys (kid, private_jwk, public_jwk, active_from, published_until)
         SELECT 'copied', private_jwk, public_jwk, active_from - interval '1 second', published_until FROM assertion_signing_keys WHERE kid = $1`,
        [kid],
      );
      await expect(keys.refresh()).rejects.toThrow(/assertion signing key copied/);
      await env.db.query(`DELETE FROM assertion_signing_keys WHERE kid = 'copied'`);
      await keys.refresh();

      // In production without ENCRYPTION_KEY, an instance cannot read the sealed keys: it refuses to start.
      await expect(startInProductionWithoutEncryptionKey(env)).rejects.toThrow(/ENCRYPTION_KEY is missing: the stored assertion signing keys/);
    });
  });
});
