import { clickOpen, openButton } from './support/forms.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokensService } from '../src/auth/api-tokens.service.js';
import { RevocationListener } from '../src/auth/session/revocation-listener.js';
import { ExpiredRowsPruner } from '../src/database/prune-expired.js';
import type { Handoff } from '../src/studio-client/studio-api.js';
import { runStudio } from '../src/studio-client/studio-cli.js';
import { studioLogin, type StudioLoginOptions } from '../src/studio-client/studio-login.js';
import { TestBrowser, type Page } from './support/browser.js';
import { ADMIN, DEVELOPER, isDevIdpLogin, signInThroughDevIdp, startTestService, STRANGER, type TestService } from './support/service.js';

type Account = { email: string; password: string; name: string };

interface Pkce {
  verifier: string;
  challenge: string;
}

const SERVICE_STUDIO_MESSAGE = 'Waiting to log in from your browser';
const INTEGRATION_STUDIO_MESSAGE = 'Use the Identity Service website to complete the login process';

function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}


describe('desktop handoff (Service Studio, Integration Studio)', () => {
  let env: TestService;
  let adminToken: string;

  function api(path: string, init: { method?: string; json?: unknown; body?: string; bearer?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    if (init.json !== undefined || init.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${env.url}${path}`, { method: init.method ?? 'GET', headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  }

  async function createHandoff(body: Record<string, unknown>): Promise<Response> {
    return api('/api/desktop/handoffs', { method: 'POST', json: body });
  }

  /** `redirectUri: null` leaves it out, for the client's registered custom scheme. */
  async function startHandoff(client = 'service-studio', redirectUri: string | null = 'http://127.0.0.1:9/callback'): Promise<{ handoff: Handoff; pkce: Pkce }> {
    const pkce = newPkce();
    const response = await createHandoff({ client, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', ...(redirectUri ? { redirectUri } : {}) });
    expect(response.status).toBe(201);
    return { handoff: (await response.json()) as Handoff, pkce };
  }

  async function signedInBrowser(account: Account): Promise<TestBrowser> {
    const browser = new TestBrowser();
    const page = await signInThroughDevIdp(browser, `${env.url}/servicecenter`, account);
    expect(page.status).toBe(200);
    return browser;
  }

  /** Opens the handoff page in a signed-in browser, clicks Open … Studio and reads the one-time code it sends on. */
  async function authenticate(browser: TestBrowser, handoff: Handoff): Promise<{ page: Page; code: string; href: URL }> {
    const page = await browser.open(handoff.browserUrl);
    expect(page.status).toBe(200);
    const { href, status } = await clickOpen(browser, page);
    expect(status).toBe(303);
    expect(href.searchParams.get('handoff')).toBe(handoff.id);
    return { page, code: href.searchParams.get('code')!, href };
  }

  function redeem(id: string, body: Record<string, unknown>): Promise<Response> {
    return api(`/api/desktop/handoffs/${id}/token`, { method: 'POST', json: body });
  }

  /** Everything a refusal must leave untouched. */
  async function snapshot(): Promise<string> {
    const tickets = await env.db.query('SELECT id, status, user_id, code_hash, code_expires_at, redeemed_at FROM handoff_tickets ORDER BY id');
    const tokens = await env.db.query('SELECT id, user_id, token_hash FROM desktop_tokens ORDER BY id');
    return JSON.stringify({ tickets, tokens });
  }

  async function ticket(id: string): Promise<{ status: string; user_id: string | null; code_hash: string | null }> {
    return (await env.db.query<{ status: string; user_id: string | null; code_hash: string | null }>('SELECT status, user_id, code_hash FROM handoff_tickets WHERE id = $1', [id]))[0];
  }

  /** A Studio login driven by `studioLogin`, with a TestBrowser as the person's browser. */
  async function loginThroughBrowser(
    browser: TestBrowser,
    account: Account,
    options: Partial<StudioLoginOptions> = {},
  ): Promise<{ result: Awaited<ReturnType<typeof studioLogin>>; lines: string[]; handoffPage: Page; landed: Page }> {
    const lines: string[] = [];
    let handoffPage: Page | undefined;
    let landed: Page | undefined;
    let browserDone: Promise<void> = Promise.resolve();
    const result = await studioLogin({
      environment: env.url,
      log: (line) => lines.push(line),
      onBrowserUrl: (url) => {
        browserDone = (async () => {
          handoffPage = await signInThroughDevIdp(browser, url, account);
          landed = await browser.open((await clickOpen(browser, handoffPage)).href.toString());
        })();
        return browserDone;
      },
      ...options,
    });
    await browserDone;
    return { result, lines, handoffPage: handoffPage!, landed: landed! };
  }

  beforeAll(async () => {
    env = await startTestService();
    adminToken = (await env.service.app.get(ApiTokensService).create(ADMIN.email)).token;
  });
  afterAll(async () => {
    await env?.close();
  });

  describe('expired rows', () => {
    it('go in the background a day after they expired, not in the requests that create rows', async () => {
      const { handoff: old } = await startHandoff();
      const { handoff: recent } = await startHandoff();
      await env.db.query(`UPDATE handoff_tickets SET expires_at = now() - interval '25 hours' WHERE id = $1`, [old.id]);
      await env.db.query(`UPDATE handoff_tickets SET expires_at = now() - interval '1 hour' WHERE id = $1`, [recent.id]);
      const kept = async (id: string) => (await env.db.query(`SELECT id FROM handoff_tickets WHERE id = $1`, [id])).length === 1;
      await startHandoff();
      expect(await kept(old.id)).toBe(true);
      expect(await env.service.app.get(ExpiredRowsPruner).run()).toBeGreaterThanOrEqual(1);
      expect(await kept(old.id)).toBe(false);
      // Expired within the last day: still there for support questions, and refused like any expired one.
      expect(await kept(recent.id)).toBe(true);
      expect(await (await api(`/api/desktop/handoffs/${recent.id}`)).json()).toMatchObject({ status: 'expired' });
    });
  });

  describe('the whole login', () => {
    it('tells a Studio how the environment signs in and that it is ready', async () => {
      const response = await api('/api/desktop/environment');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        name: 'localhost',
        authentication: {
          mode: 'external-idp',
          ready: true,
          provider: { id: 'default', displayName: 'Development identity provider' },
          providers: [{ id: 'default', displayName: 'Development identity provider', ready: true }],
        },
      });
    });

    it('logs Service Studio in through the provider, the page and the loopback redirect', async () => {
      const browser = new TestBrowser();
      const { result, lines, handoffPage, landed } = await loginThroughBrowser(browser, DEVELOPER);

      expect(lines).toContain(SERVICE_STUDIO_MESSAGE);
      expect(lines.some((line) => /^Waiting for the browser… \(\d\d:\d\d left\)$/.test(line))).toBe(true);
      expect(handoffPage.hops.some((hop) => hop.location?.startsWith(env.service.issuer))).toBe(true);
      expect(handoffPage.body).toContain(`Signing in to Service Studio as ${DEVELOPER.name} (${DEVELOPER.email})`);
      expect(handoffPage.body).toContain('on environment <strong>localhost</strong>');
      expect(openButton(handoffPage.body).text).toBe('Open Service Studio');
      expect(handoffPage.body).toMatch(/<form class="inline" method="post" action="\/desktop\/handoff\/[0-9a-f-]{36}\/cancel">\s*<input type="hidden" name="_csrf"/);
      expect(handoffPage.headers.get('cache-control')).toBe('no-store');
      const nonce = /script-src 'nonce-([^']+)'/.exec(handoffPage.headers.get('content-security-policy') ?? '')?.[1];
      expect(nonce).toBeTruthy();
      expect(handoffPage.body).toContain(`<script nonce="${nonce}">`);

      expect(landed.status).toBe(200);
      expect(landed.body).toContain('You can close this window and return to Service Studio');
      expect(result).toMatchObject({ tokenType: 'Bearer', client: 'service-studio', user: { email: DEVELOPER.email, displayName: DEVELOPER.name } });
      expect(result.accessToken).toMatch(/^fdst_[A-Za-z0-9_-]{43}$/);
      expect(result.expiresIn).toBe(env.service.config.desktop.tokenTtlSeconds);

      const me = await api('/api/desktop/me', { bearer: result.accessToken });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual({ id: result.user.id, email: DEVELOPER.email, displayName: DEVELOPER.name });

      const rows = await env.db.query<{ token_hash: string; client: string; user_id: string; handoff_status: string; code_hash: string | null }>(
        `SELECT t.token_hash, t.client, t.user_id, h.status AS handoff_status, h.code_hash
           FROM desktop_tokens t JOIN handoff_tickets h ON h.id = t.handoff_id WHERE t.token_hash = $1`,
        [sha256Hex(result.accessToken)],
      );
      expect(rows).toEqual([{ token_hash: sha256Hex(result.accessToken), client: 'service-studio', user_id: result.user.id, handoff_status: 'redeemed', code_hash: null }]);
      expect(JSON.stringify(await env.db.query('SELECT * FROM desktop_tokens'))).not.toContain(result.accessToken);
    });

    it('logs Integration Studio in with its own message and button', async () => {
      const browser = new TestBrowser();
      const { result, lines, handoffPage, landed } = await loginThroughBrowser(browser, ADMIN, { client: 'integration-studio' });
      expect(lines).toContain(INTEGRATION_STUDIO_MESSAGE);
      expect(handoffPage.body).toContain(`Signing in to Integration Studio as ${ADMIN.name} (${ADMIN.email})`);
      expect(openButton(handoffPage.body).text).toBe('Open Integration Studio');
      expect(landed.body).toContain('return to Integration Studio');
      expect(result).toMatchObject({ client: 'integration-studio', user: { email: ADMIN.email } });
      const me = await api('/api/desktop/me', { bearer: result.accessToken });
      expect((await me.json()).email).toBe(ADMIN.email);
      const [row] = await env.db.query<{ client: string }>('SELECT client FROM desktop_tokens WHERE token_hash = $1', [sha256Hex(result.accessToken)]);
      expect(row.client).toBe('integration-studio');
    });

    it('answers each Studio with its contract message, and defaults to its custom scheme', async () => {
      for (const [client, message, scheme] of [
        ['service-studio', SERVICE_STUDIO_MESSAGE, 'servicestudio://auth'],
        ['integration-studio', INTEGRATION_STUDIO_MESSAGE, 'integrationstudio://auth'],
      ]) {
        const { handoff } = await startHandoff(client, null);
        expect(Object.keys(handoff).sort()).toEqual(['browserUrl', 'expiresAt', 'id', 'interval', 'message', 'statusUrl']);
        expect(handoff.message).toBe(message);
        expect(handoff.browserUrl).toBe(`${env.url}/desktop/handoff/${handoff.id}`);
        expect(handoff.statusUrl).toBe(`${env.url}/api/desktop/handoffs/${handoff.id}`);
        expect(handoff.interval).toBeGreaterThan(0);
        const ttl = Date.parse(handoff.expiresAt) - Date.now();
        expect(ttl).toBeGreaterThan(9 * 60_000);
        expect(ttl).toBeLessThanOrEqual(10 * 60_000);
        const [row] = await env.db.query<{ redirect_uri: string; status: string }>('SELECT redirect_uri, status FROM handoff_tickets WHERE id = $1', [handoff.id]);
        expect(row).toEqual({ redirect_uri: scheme, status: 'pending' });
        const browser = await signedInBrowser(DEVELOPER);
        const { href } = await authenticate(browser, handoff);
        expect(href.toString()).toMatch(new RegExp(`^${scheme}\\?handoff=${handoff.id}&code=[A-Za-z0-9_-]{43}$`));
      }
    });

    it('skips the provider when the browser already has a console session (single sign-on)', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff } = await startHandoff();
      const page = await browser.open(handoff.browserUrl);
      expect(page.status).toBe(200);
      expect(page.hops).toHaveLength(0);
      expect(page.body).toContain(`Signing in to Service Studio as ${DEVELOPER.name}`);
      // Showing the page mints nothing: a browser merely sent here completes no login.
      expect(await ticket(handoff.id)).toEqual({ status: 'pending', user_id: null, code_hash: null });
      expect(page.body).not.toContain('code=');
      const { status } = await clickOpen(browser, page);
      expect(status).toBe(303);
      expect((await ticket(handoff.id)).status).toBe('authenticated');
    });

    it('refuses an account the platform does not know: 403 page, the handoff denied with the reason, nothing else written', async () => {
      const { handoff } = await startHandoff();
      const before = await env.db.query<{ n: string }>('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM linked_identities) + (SELECT count(*) FROM desktop_tokens) AS n');
      const browser = new TestBrowser();
      const first = await browser.open(handoff.browserUrl);
      expect(isDevIdpLogin(first)).toBe(true);
      const page = await browser.submit(first, { email: STRANGER.email, password: STRANGER.password });
      expect(page.status).toBe(403);
      expect(page.body).toContain('not registered in this environment');
      expect(page.body).toContain(STRANGER.email);
      expect(page.body).not.toContain('open-studio');
      expect(await ticket(handoff.id)).toEqual({ status: 'denied', user_id: null, code_hash: null });
      expect(await (await api(`/api/desktop/handoffs/${handoff.id}`)).json()).toMatchObject({ status: 'denied', reason: 'not_registered' });
      const after = await env.db.query<{ n: string }>('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM linked_identities) + (SELECT count(*) FROM desktop_tokens) AS n');
      expect(after[0].n).toBe(before[0].n);
    });

    it('lets the person cancel: status denied, the client gives up, the page says so', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      let cancelled: Page | undefined;
      const login = studioLogin({
        environment: env.url,
        onBrowserUrl: async (url) => {
          const page = await browser.open(url);
          cancelled = await browser.submit(page, {}, '/cancel');
        },
      });
      await expect(login).rejects.toThrow('The login was cancelled in the browser.');
      expect(cancelled!.status).toBe(200);
      expect(cancelled!.body).toContain('<h1>Cancelled</h1>');
      const id = /\/desktop\/handoff\/([0-9a-f-]{36})\/cancel/.exec(cancelled!.url)![1];
      expect((await (await api(`/api/desktop/handoffs/${id}`)).json()).status).toBe('denied');
      expect((await ticket(id)).code_hash).toBeNull();
      expect(await env.db.query('SELECT 1 FROM desktop_tokens WHERE handoff_id = $1', [id])).toHaveLength(0);

      const again = await browser.open(`${env.url}/desktop/handoff/${id}`);
      expect(again.status).toBe(410);
      expect(again.body).toContain('This sign-in was cancelled');
    });

    it('refuses a cancel from another origin and changes nothing', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff } = await startHandoff();
      await authenticate(browser, handoff);
      const before = await snapshot();
      const response = await browser.request(`${handoff.browserUrl}/cancel`, { method: 'POST', headers: { origin: 'https://evil.example' } });
      expect(response.status).toBe(403);
      expect(await snapshot()).toBe(before);
    });

    it("refuses Open sent by another site even with the page's valid token, minting nothing; the same-origin click works", async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff } = await startHandoff();
      const page = await browser.open(handoff.browserUrl);
      const button = openButton(page.body);
      const open = (headers: Record<string, string>) =>
        browser.request(new URL(button.action, page.url).toString(), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({ _csrf: button.csrf }),
        });
      const before = await snapshot();
      for (const headers of <Record<string, string>[]>[{ origin: 'https://evil.example' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }]) {
        const forged = await open(headers);
        expect(forged.status, JSON.stringify(headers)).toBe(403);
        expect(forged.headers.get('location')).toBeNull();
      }
      expect(await snapshot()).toBe(before);
      expect((await ticket(handoff.id)).status).toBe('pending');
      const clicked = await open({ origin: env.url, 'sec-fetch-site': 'same-origin' });
      expect(clicked.status).toBe(303);
      expect(new URL(clicked.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    });

    it('gives up cleanly when the handoff expires while it waits, with progress meanwhile', async () => {
      const lines: string[] = [];
      const login = studioLogin({
        environment: env.url,
        client: 'integration-studio',
        log: (line) => lines.push(line),
        progressIntervalMs: 1,
        onBrowserUrl: async (url) => {
          const id = url.split('/').pop()!;
          await env.db.query("UPDATE handoff_tickets SET expires_at = now() - interval '1 second' WHERE id = $1", [id]);
        },
      });
      await expect(login).rejects.toThrow('The login expired before the browser completed it. Start the login again.');
      expect(lines[1]).toBe(INTEGRATION_STUDIO_MESSAGE);
      expect(lines.filter((line) => line.startsWith('Waiting for the browser…')).length).toBeGreaterThanOrEqual(1);
    });

    it('gives a new code on reload, for the same user only; another account gets a 403 page', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff, pkce } = await startHandoff();
      const first = await authenticate(browser, handoff);
      const second = await authenticate(browser, handoff);
      expect(second.code).not.toBe(first.code);

      const other = await signedInBrowser(ADMIN);
      const before = await snapshot();
      const taken = await other.open(handoff.browserUrl);
      expect(taken.status).toBe(403);
      expect(taken.body).toContain('This sign-in belongs to another account');
      expect(taken.body).not.toContain('open-studio');
      expect(await snapshot()).toBe(before);
      const otherCancel = await other.request(`${handoff.browserUrl}/cancel`, { method: 'POST', headers: { origin: env.url } });
      expect(otherCancel.status).toBe(403);
      expect(await snapshot()).toBe(before);

      const stale = await redeem(handoff.id, { code: first.code, codeVerifier: pkce.verifier });
      expect(stale.status).toBe(400);
      expect((await stale.json()).error).toBe('invalid_grant');
      const fresh = await redeem(handoff.id, { code: second.code, codeVerifier: pkce.verifier });
      expect(fresh.status).toBe(200);
      expect((await fresh.json()).user.email).toBe(DEVELOPER.email);
    });

    it('shows readable pages for used, expired, unknown and malformed handoffs', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff, pkce } = await startHandoff();
      const { code } = await authenticate(browser, handoff);
      expect((await redeem(handoff.id, { code, codeVerifier: pkce.verifier })).status).toBe(200);
      const used = await browser.open(handoff.browserUrl);
      expect(used.status).toBe(410);
      expect(used.headers.get('content-type')).toMatch(/text\/html/);
      expect(used.body).toContain('This sign-in was already used');

      const { handoff: old } = await startHandoff();
      await env.db.query("UPDATE handoff_tickets SET expires_at = now() - interval '1 minute' WHERE id = $1", [old.id]);
      const expired = await browser.open(old.browserUrl);
      expect(expired.status).toBe(410);
      expect(expired.body).toContain('This sign-in has expired');
      expect((await ticket(old.id)).status).toBe('pending');

      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1'%20OR%20'1'='1"]) {
        const missing = await browser.open(`${env.url}/desktop/handoff/${id}`);
        expect(missing.status).toBe(404);
        expect(missing.body).toContain('Sign-in not found');
      }
    });

    it('runs the reference client command line: login, whoami, logout', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'studio-cli-'));
      const credentials = join(folder, 'nested', 'credentials.json');
      const browser = new TestBrowser();
      const out: string[] = [];
      const err: string[] = [];
      let landed: Promise<Page> | undefined;
      const io = {
        env: { STUDIO_CREDENTIALS_FILE: credentials },
        out: (line: string) => out.push(line),
        err: (line: string) => err.push(line),
        openBrowser: (url: string) => {
          landed = signInThroughDevIdp(browser, url, DEVELOPER).then(async (page) => browser.open((await clickOpen(browser, page)).href.toString()));
        },
      };
      try {
        expect(await runStudio(['login', '--environment', env.url], io)).toBe(0);
        expect((await landed!).status).toBe(200);
        expect(out).toContain(SERVICE_STUDIO_MESSAGE);
        expect(out.some((line) => line.includes(`${env.url}/desktop/handoff/`))).toBe(true);
        expect(out.at(-1)).toBe(`Logged in as ${DEVELOPER.name} (${DEVELOPER.email})`);
        expect((await stat(credentials)).mode & 0o777).toBe(0o600);

        out.length = 0;
        expect(await runStudio(['whoami'], io)).toBe(0);
        expect(out).toEqual([`Logged in as ${DEVELOPER.name} (${DEVELOPER.email}) to ${env.url} with Service Studio`]);

        expect(await runStudio(['logout'], io)).toBe(0);
        await expect(stat(credentials)).rejects.toThrow();
        expect(await runStudio(['whoami'], io)).toBe(1);
        expect(err.at(-1)).toContain('Not logged in');

        expect(await runStudio(['login'], io)).toBe(2);
        expect(await runStudio(['login', '--environment', env.url, '--client', 'word'], io)).toBe(2);
        expect(await runStudio(['dance'], io)).toBe(2);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });
  });

  describe('refusals', () => {
    const validChallenge = () => newPkce().challenge;

    it.each([
      ['plain method', () => ({ client: 'service-studio', codeChallenge: validChallenge(), codeChallengeMethod: 'plain' })],
      ['no method', () => ({ client: 'service-studio', codeChallenge: validChallenge() })],
      ['a 42-character challenge', () => ({ client: 'service-studio', codeChallenge: validChallenge().slice(1), codeChallengeMethod: 'S256' })],
      ['a 44-character challenge', () => ({ client: 'service-studio', codeChallenge: `${validChallenge()}A`, codeChallengeMethod: 'S256' })],
      ['a padded base64 challenge', () => ({ client: 'service-studio', codeChallenge: `${validChallenge().slice(1)}=`, codeChallengeMethod: 'S256' })],
      ['a non-string challenge', () => ({ client: 'service-studio', codeChallenge: 42, codeChallengeMethod: 'S256' })],
      ['no challenge', () => ({ client: 'service-studio', codeChallengeMethod: 'S256' })],
      ['no client', () => ({ codeChallenge: validChallenge(), codeChallengeMethod: 'S256' })],
      ['an unknown client', () => ({ client: 'visual-studio', codeChallenge: validChallenge(), codeChallengeMethod: 'S256' })],
      ['an extra field', () => ({ client: 'service-studio', codeChallenge: validChallenge(), codeChallengeMethod: 'S256', scope: 'admin' })],
      ['a non-string redirect URI', () => ({ client: 'service-studio', codeChallenge: validChallenge(), codeChallengeMethod: 'S256', redirectUri: 7 })],
    ])('refuses a handoff with %s: 400 invalid_request, nothing written', async (_name, body) => {
      const before = await snapshot();
      const response = await createHandoff(body());
      expect(response.status).toBe(400);
      const error = await response.json();
      expect(error).toMatchObject({ statusCode: 400, error: 'invalid_request' });
      expect(typeof error.message).toBe('string');
      expect(await snapshot()).toBe(before);
    });

    it.each([
      ['service-studio', 'https://evil.example/cb'],
      ['service-studio', 'http://evil.example:1234/cb'],
      ['service-studio', 'http://localhost:1234/cb'],
      ['service-studio', 'http://127.0.0.1/cb'],
      ['service-studio', 'https://127.0.0.1:1234/cb'],
      ['service-studio', 'http://user@127.0.0.1:1234/cb'],
      ['service-studio', 'http://127.0.0.1:1234@evil.example/cb'],
      ['service-studio', 'http://127.0.0.1:1234/cb#frag'],
      ['service-studio', 'http://127.0.0.1:1234/cb?next=https://evil.example'],
      ['service-studio', 'http://127.0.0.2:1234/cb'],
      ['service-studio', 'integrationstudio://auth'],
      ['integration-studio', 'servicestudio://auth'],
      ['service-studio', 'servicestudio://auth.evil.example'],
      ['service-studio', 'javascript:alert(1)'],
      ['service-studio', ''],
    ])('refuses %s with redirect URI %j: 400, nothing written', async (client, redirectUri) => {
      const before = await snapshot();
      const response = await createHandoff({ client, codeChallenge: validChallenge(), codeChallengeMethod: 'S256', redirectUri });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ statusCode: 400, error: 'invalid_redirect_uri' });
      expect(await snapshot()).toBe(before);
    });

    it('accepts loopback redirect URIs on IPv4 and IPv6', async () => {
      await startHandoff('service-studio', 'http://127.0.0.1:50123/callback');
      await startHandoff('integration-studio', 'http://[::1]:50123/cb/2');
    });

    it('refuses a body that is not JSON, and writes nothing', async () => {
      const before = await snapshot();
      const response = await api('/api/desktop/handoffs', { method: 'POST', body: '{"client":' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await snapshot()).toBe(before);
    });

    it('never shows the code or a token in the status, in any state', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff, pkce } = await startHandoff();
      const seen: string[] = [];
      const read = async () => {
        const response = await fetch(handoff.statusUrl);
        expect(response.status).toBe(200);
        const text = await response.text();
        const body = JSON.parse(text);
        expect(Object.keys(body).sort()).toEqual(['client', 'expiresAt', 'id', 'status']);
        expect(body).toMatchObject({ id: handoff.id, client: 'service-studio', expiresAt: handoff.expiresAt });
        seen.push(body.status);
        return text;
      };
      await read();
      const { code } = await authenticate(browser, handoff);
      expect(await read()).not.toContain(code);
      const token = (await (await redeem(handoff.id, { code, codeVerifier: pkce.verifier })).json()).accessToken as string;
      const after = await read();
      expect(after).not.toContain(code);
      expect(after).not.toContain(token);
      expect(after).not.toContain(sha256Hex(code));

      const { handoff: old } = await startHandoff();
      await env.db.query("UPDATE handoff_tickets SET expires_at = now() - interval '1 second' WHERE id = $1", [old.id]);
      expect((await (await fetch(old.statusUrl)).json()).status).toBe('expired');
      expect(seen).toEqual(['pending', 'authenticated', 'redeemed']);

      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
        const missing = await api(`/api/desktop/handoffs/${id}`);
        expect(missing.status).toBe(404);
        expect(await missing.json()).toMatchObject({ statusCode: 404, error: 'handoff_not_found' });
      }
    });

    it('refuses wrong codes, wrong verifiers, malformed bodies, pending, expired and denied handoffs, with no token', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff, pkce } = await startHandoff();

      const pendingBefore = await snapshot();
      const pending = await redeem(handoff.id, { code: 'x'.repeat(43), codeVerifier: pkce.verifier });
      expect(pending.status).toBe(400);
      expect(await pending.json()).toMatchObject({ error: 'invalid_grant' });
      expect(await snapshot()).toBe(pendingBefore);

      const { code } = await authenticate(browser, handoff);
      const before = await snapshot();
      const attempts: [Record<string, unknown>, string][] = [
        [{ code: `${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`, codeVerifier: pkce.verifier }, 'invalid_grant'],
        [{ code, codeVerifier: newPkce().verifier }, 'invalid_grant'],
        [{ code, codeVerifier: pkce.challenge }, 'invalid_grant'],
        [{ code }, 'invalid_request'],
        [{ codeVerifier: pkce.verifier }, 'invalid_request'],
        [{ code, codeVerifier: 'short' }, 'invalid_request'],
        [{ code, codeVerifier: pkce.verifier, extra: 1 }, 'invalid_request'],
        [{ code: 42, codeVerifier: pkce.verifier }, 'invalid_request'],
      ];
      for (const [body, error] of attempts) {
        const response = await redeem(handoff.id, body);
        expect(response.status).toBe(400);
        const json = await response.json();
        expect(json).toMatchObject({ statusCode: 400, error });
        expect(JSON.stringify(json)).not.toContain('fdst_');
      }
      expect(await snapshot()).toBe(before);

      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
        const response = await redeem(id, { code, codeVerifier: pkce.verifier });
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ error: 'handoff_not_found' });
      }

      await env.db.query("UPDATE handoff_tickets SET code_expires_at = now() - interval '1 second' WHERE id = $1", [handoff.id]);
      const staleCode = await snapshot();
      const lateCode = await redeem(handoff.id, { code, codeVerifier: pkce.verifier });
      expect(lateCode.status).toBe(400);
      expect((await lateCode.json()).error).toBe('invalid_grant');
      expect(await snapshot()).toBe(staleCode);

      const { code: fresh } = await authenticate(browser, handoff);
      await env.db.query("UPDATE handoff_tickets SET expires_at = now() - interval '1 second' WHERE id = $1", [handoff.id]);
      const expiredBefore = await snapshot();
      const expired = await redeem(handoff.id, { code: fresh, codeVerifier: pkce.verifier });
      expect(expired.status).toBe(400);
      expect(await expired.json()).toMatchObject({ error: 'invalid_grant', message: 'This handoff has expired' });
      expect(await snapshot()).toBe(expiredBefore);

      const { handoff: cancelled, pkce: cancelledPkce } = await startHandoff();
      const { page, code: cancelledCode } = await authenticate(browser, cancelled);
      expect((await browser.submit(page, {}, '/cancel')).status).toBe(200);
      const deniedBefore = await snapshot();
      const denied = await redeem(cancelled.id, { code: cancelledCode, codeVerifier: cancelledPkce.verifier });
      expect(denied.status).toBe(400);
      expect(await denied.json()).toMatchObject({ error: 'invalid_grant', message: 'This handoff was cancelled in the browser' });
      expect(await snapshot()).toBe(deniedBefore);
    });

    it('redeems once: a second redemption is refused', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff, pkce } = await startHandoff();
      const { code } = await authenticate(browser, handoff);
      expect((await redeem(handoff.id, { code, codeVerifier: pkce.verifier })).status).toBe(200);
      const before = await snapshot();
      const again = await redeem(handoff.id, { code, codeVerifier: pkce.verifier });
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({ error: 'invalid_grant', message: 'This handoff was already redeemed' });
      expect(await snapshot()).toBe(before);
    });

    it('of 20 concurrent redemptions with the right code and verifier, exactly one gets a token', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff, pkce } = await startHandoff();
      const { code } = await authenticate(browser, handoff);
      const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(handoff.id, { code, codeVerifier: pkce.verifier })));
      const bodies = await Promise.all(responses.map((response) => response.json()));
      expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
      expect(responses.filter((response) => response.status === 400)).toHaveLength(19);
      expect(bodies.filter((body) => body.error === 'invalid_grant')).toHaveLength(19);
      expect(bodies.filter((body) => typeof body.accessToken === 'string')).toHaveLength(1);
      expect(await env.db.query('SELECT 1 FROM desktop_tokens WHERE handoff_id = $1', [handoff.id])).toHaveLength(1);
    });
  });

  describe('desktop tokens', () => {
    async function desktopToken(account: Account): Promise<string> {
      const browser = await signedInBrowser(account);
      const { handoff, pkce } = await startHandoff();
      const { code } = await authenticate(browser, handoff);
      const response = await redeem(handoff.id, { code, codeVerifier: pkce.verifier });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      return (await response.json()).accessToken;
    }

    it('answers 401 JSON without a token, with a wrong one, and with an admin API token', async () => {
      const token = await desktopToken(DEVELOPER);
      for (const bearer of [undefined, 'fdst_wrong', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, adminToken]) {
        const response = await api('/api/desktop/me', { bearer });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        expect((await response.json()).statusCode).toBe(401);
      }
      const session = await signedInBrowser(DEVELOPER);
      expect((await session.request(`${env.url}/api/desktop/me`)).status).toBe(401);
    });

    it('is refused by the admin API, and an admin token on the desktop API', async () => {
      const token = await desktopToken(ADMIN);
      expect((await api('/api/desktop/me', { bearer: token })).status).toBe(200);
      const admin = await api('/api/admin/users', { bearer: token });
      expect(admin.status).toBe(401);
      expect((await api('/api/admin/users', { bearer: adminToken })).status).toBe(200);
      expect((await api('/api/desktop/logout', { method: 'POST', bearer: adminToken })).status).toBe(401);
    });

    it('stops working after logout', async () => {
      const token = await desktopToken(DEVELOPER);
      const logout = await api('/api/desktop/logout', { method: 'POST', bearer: token });
      expect(logout.status).toBe(204);
      expect(await logout.text()).toBe('');
      expect((await api('/api/desktop/me', { bearer: token })).status).toBe(401);
      expect((await api('/api/desktop/logout', { method: 'POST', bearer: token })).status).toBe(401);
      expect(await env.db.query('SELECT 1 FROM desktop_tokens WHERE token_hash = $1', [sha256Hex(token)])).toHaveLength(0);
    });

    it('stops working when it expires', async () => {
      const token = await desktopToken(DEVELOPER);
      await env.db.query("UPDATE desktop_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [sha256Hex(token)]);
      // Changed behind the service's back: wait until it has heard the database's announcement.
      await env.service.app.get(RevocationListener).barrier();
      expect((await api('/api/desktop/me', { bearer: token })).status).toBe(401);
    });

    it('stops working at once when the user is deactivated, and stays revoked after reactivation', async () => {
      const token = await desktopToken(DEVELOPER);
      const me = await (await api('/api/desktop/me', { bearer: token })).json();
      const deactivate = await api(`/api/admin/users/${me.id}`, { method: 'PATCH', json: { active: false }, bearer: adminToken });
      expect(deactivate.status).toBe(200);
      expect((await api('/api/desktop/me', { bearer: token })).status).toBe(401);
      expect(await env.db.query('SELECT 1 FROM desktop_tokens WHERE user_id = $1', [me.id])).toHaveLength(0);

      const reactivate = await api(`/api/admin/users/${me.id}`, { method: 'PATCH', json: { active: true }, bearer: adminToken });
      expect(reactivate.status).toBe(200);
      expect((await api('/api/desktop/me', { bearer: token })).status).toBe(401);
      expect((await api('/api/desktop/me', { bearer: await desktopToken(DEVELOPER) })).status).toBe(200);
    });

    it('is refused when the user is deactivated between the browser page and the redemption', async () => {
      const browser = await signedInBrowser(DEVELOPER);
      const { handoff, pkce } = await startHandoff();
      const { code } = await authenticate(browser, handoff);
      const userId = (await ticket(handoff.id)).user_id!;
      await env.db.query('UPDATE users SET active = false WHERE id = $1', [userId]);
      try {
        const before = await snapshot();
        const response = await redeem(handoff.id, { code, codeVerifier: pkce.verifier });
        expect(response.status).toBe(400);
        expect((await response.json()).error).toBe('invalid_grant');
        expect(await snapshot()).toBe(before);
      } finally {
        await env.db.query('UPDATE users SET active = true WHERE id = $1', [userId]);
      }
    });
  });

  it('documents the desktop endpoints in the OpenAPI document', async () => {
    const document = await (await api('/api/docs-json')).json();
    const operations: Record<string, string[]> = {
      '/api/desktop/environment': ['get'],
      '/api/desktop/handoffs': ['post'],
      '/api/desktop/handoffs/{id}': ['get'],
      '/api/desktop/handoffs/{id}/token': ['post'],
      '/api/desktop/me': ['get'],
      '/api/desktop/logout': ['post'],
    };
    for (const [path, methods] of Object.entries(operations)) {
      for (const method of methods) {
        const operation = document.paths[path]?.[method];
        expect(operation, `${method} ${path}`).toBeDefined();
        expect(operation.tags).toContain('desktop');
      }
    }
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/desktop'))).toEqual([]);
    const schemas = document.components.schemas;
    expect(schemas.CreateHandoffDto.properties.codeChallengeMethod.enum).toEqual(['S256']);
    expect(schemas.CreateHandoffDto.required).toEqual(expect.arrayContaining(['client', 'codeChallenge', 'codeChallengeMethod']));
    expect(schemas.HandoffCreatedDto.properties.message.example).toBe(SERVICE_STUDIO_MESSAGE);
    expect(schemas.HandoffStatusDto.properties.status.enum).toEqual(['pending', 'authenticated', 'redeemed', 'expired', 'denied']);
    expect(schemas.DesktopTokenResponseDto.properties.accessToken.example).toMatch(/^fdst_/);
    expect(schemas.EnvironmentDto.properties.authentication).toBeDefined();
    expect(document.paths['/api/desktop/handoffs/{id}/token'].post.responses['400']).toBeDefined();
    expect(document.paths['/api/desktop/me'].get.security).toEqual([{ 'desktop-token': [] }]);
  });

  describe('an environment whose provider cannot be used', () => {
    let broken: TestService | undefined;
    let misconfigured: TestService | undefined;

    afterAll(async () => {
      await broken?.close();
      await misconfigured?.close();
    });

    it('says not ready, with a reason code and a sentence naming no URL, and the client stops with it', async () => {
      broken = await startTestService({ OIDC_ISSUER: 'http://127.0.0.1:9/unreachable', OIDC_CLIENT_ID: 'front-door', OIDC_CLIENT_SECRET: 'secret-0123456789' });
      const body = await (await fetch(`${broken.url}/api/desktop/environment`)).json();
      expect(body.authentication).toMatchObject({ mode: 'external-idp', ready: false, provider: { id: 'default', displayName: '127.0.0.1' } });
      expect(body.authentication).toMatchObject({ reason: 'discovery_unreachable', reasonMessage: expect.stringMatching(/^The identity provider could not be reached\. An administrator can see the details in LifeTime\.$/) });
      expect(body.authentication.providers).toEqual([{ id: 'default', displayName: '127.0.0.1', ready: false, reason: 'discovery_unreachable', reasonMessage: body.authentication.reasonMessage }]);
      expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1:9|\/unreachable|front-door/);
      await expect(studioLogin({ environment: broken.url, onBrowserUrl: () => undefined })).rejects.toThrow(/cannot log you in right now: The identity provider could not be reached/);
    });

    it('says not ready when this service has no client secret at the provider', async () => {
      misconfigured = await startTestService({ OIDC_ISSUER: env.service.issuer, OIDC_CLIENT_ID: 'front-door' });
      const body = await (await fetch(`${misconfigured.url}/api/desktop/environment`)).json();
      expect(body.authentication).toMatchObject({ ready: false, reason: 'client_no_secret', reasonMessage: expect.stringContaining('does not accept the client settings') });
    });
  });
});
