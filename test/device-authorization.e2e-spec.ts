import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStudio } from '../src/studio-client/studio-cli.js';
import { TestBrowser, type Page } from './support/browser.js';
import { desktopMe, refresh } from './support/desktop-login.js';
import { csrfForm } from './support/forms.js';
import { discover, pollOnce, pollUntilDone, requestDeviceCode, type DeviceCodeResponse, type ServerMetadata, type TokenOutcome } from './support/device-flow-client.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, STRANGER, type TestService } from './support/service.js';

const GUESSES_PER_SESSION = 3;
const GUESSES_PER_ADDRESS = 5;

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

describe('device authorization (RFC 8628)', () => {
  let env: TestService;
  let metadata: ServerMetadata;

  async function signedIn(account: { email: string; password: string }): Promise<TestBrowser> {
    const browser = new TestBrowser();
    const page = await signInThroughDevIdp(browser, `${env.url}/servicecenter`, account);
    expect(page.status).toBe(200);
    return browser;
  }

  async function row(deviceCode: string): Promise<{ id: string; status: string; user_id: string | null; interval_seconds: number }> {
    const [found] = await env.db.query<{ id: string; status: string; user_id: string | null; interval_seconds: number }>(
      'SELECT id, status, user_id, interval_seconds FROM device_authorizations WHERE device_code_hash = $1',
      [sha256Hex(deviceCode)],
    );
    return found;
  }

  /** Everything a refusal must leave untouched. */
  async function snapshot(): Promise<string> {
    const rows = await env.db.query('SELECT id, status, user_id, decided_at, redeemed_at FROM device_authorizations ORDER BY id');
    const tokens = await env.db.query('SELECT id, user_id, client FROM desktop_tokens ORDER BY id');
    return JSON.stringify({ rows, tokens });
  }

  async function auditTypes(): Promise<string[]> {
    return (await env.db.query<{ type: string }>("SELECT type FROM audit_events WHERE type LIKE 'device.%' ORDER BY at")).map((event) => event.type);
  }

  beforeAll(async () => {
    env = await startTestService({
      DEVICE_POLL_INTERVAL_SECONDS: '1',
      DEVICE_GUESS_LIMIT_PER_SESSION: String(GUESSES_PER_SESSION),
      DEVICE_GUESS_LIMIT_PER_ADDRESS: String(GUESSES_PER_ADDRESS),
    });
    metadata = await discover(env.url);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('publishes RFC 8414 metadata naming both endpoints', () => {
    expect(metadata).toMatchObject({
      issuer: env.url,
      device_authorization_endpoint: `${env.url}/oauth/device_authorization`,
      token_endpoint: `${env.url}/oauth/token`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code'],
    });
  });

  it('signs a command-line tool in: code, /device with single sign-on, Allow, a token that works like a handoff token', async () => {
    const code = await requestDeviceCode(metadata, 'cli');
    expect(Object.keys(code).sort()).toEqual(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    expect(code.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(code.verification_uri).toBe(`${env.url}/device`);
    expect(code.verification_uri_complete).toBe(`${env.url}/device?user_code=${code.user_code}`);
    expect(code.interval).toBe(1);
    expect(code.expires_in).toBe(600);
    const stored = JSON.stringify(await env.db.query('SELECT * FROM device_authorizations'));
    expect(stored).not.toContain(code.device_code);
    expect(stored).not.toContain(code.user_code.replace('-', ''));

    const polls: TokenOutcome[] = [];
    const token = pollUntilDone(metadata, 'cli', code, (outcome) => polls.push(outcome)).catch((error: Error) => error);

    // Signed in to a console already: /device needs no second login. The code is typed in lower case without its dash.
    const browser = await signedIn(DEVELOPER);
    const entry = await browser.open(`${env.url}/device`);
    expect(entry.body).toContain('name="user_code"');
    expect(entry.body).toContain('<form method="get" action="/device">');
    const confirm = await browser.open(`${env.url}/device?user_code=${code.user_code.replace('-', '').toLowerCase()}`);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('<dd id="device-client">Command-line tool</dd>');
    expect(confirm.body).toMatch(/<dd id="device-address">(::ffff:)?127\.0\.0\.1|::1<\/dd>/);
    expect(confirm.body).toMatch(/<dd id="device-time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/dd>/);
    expect(confirm.body).toContain(code.user_code);
    expect(confirm.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(confirm.headers.get('cache-control')).toBe('no-store');
    expect((await row(code.device_code)).status).toBe('pending');

    const allowed = await browser.submit(confirm, {}, '/device/allow');
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain('Command-line tool is now signed in as you');

    const result = await token;
    if (result instanceof Error) throw result;
    if (!result.ok) throw new Error(`device flow ended with ${JSON.stringify(result.body)} after ${JSON.stringify(polls)}`);
    expect(result.ok).toBe(true);
    expect(polls.some((poll) => !poll.ok && poll.error === 'authorization_pending') || polls.length === 1).toBe(true);
    if (!result.ok) return;
    expect(result.token).toMatchObject({ token_type: 'Bearer', expires_in: env.service.config.desktop.tokenTtlSeconds });
    const accessToken = String(result.token.access_token);
    const me = await fetch(`${env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe(DEVELOPER.email);
    const [tokenRow] = await env.db.query<{ client: string; handoff_id: string | null }>('SELECT client, handoff_id FROM desktop_tokens WHERE token_hash = $1', [sha256Hex(accessToken)]);
    expect(tokenRow).toEqual({ client: 'cli', handoff_id: null });
    expect((await row(code.device_code)).status).toBe('redeemed');
    expect(await auditTypes()).toEqual(['device.authorized', 'device.redeemed']);
    expect(JSON.stringify(await env.db.query('SELECT * FROM audit_events'))).not.toContain(code.device_code);

    // A code works once: the device code is spent, and so is the user code.
    const before = await snapshot();
    const again = await pollOnce(metadata, 'cli', code.device_code);
    expect(again).toMatchObject({ ok: false, status: 400, error: 'invalid_grant' });
    const reopened = await browser.open(code.verification_uri_complete!);
    expect(reopened.status).toBe(410);
    expect(reopened.body).toContain('This code was already used');
    expect(await snapshot()).toBe(before);

    // The token is a desktop token: logout revokes it.
    expect((await fetch(`${env.url}/api/desktop/logout`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(204);
    expect((await fetch(`${env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  });

  it("answers with a refresh token that rotates like a handoff's, into a pair that works where a handoff's does", async () => {
    const code = await requestDeviceCode(metadata, 'integration-studio');
    const token = pollUntilDone(metadata, 'integration-studio', code);
    const browser = await signedIn(DEVELOPER);
    expect((await browser.submit(await browser.open(code.verification_uri_complete!), {}, '/device/allow')).status).toBe(200);
    const result = await token;
    if (!result.ok) throw new Error(`device flow ended with ${JSON.stringify(result.body)}`);
    expect(Object.keys(result.token).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    const accessToken = String(result.token.access_token);
    const refreshToken = String(result.token.refresh_token);
    expect(refreshToken).toMatch(/^fdsr_/);
    // The sign-in keeps the provider the approving browser came through, so its refresh follows that provider's state.
    const [family] = await env.db.query<{ client: string; provider_id: string | null }>(
      'SELECT f.client, f.provider_id FROM desktop_token_families f JOIN desktop_tokens t ON t.family_id = f.id WHERE t.token_hash = $1',
      [sha256Hex(accessToken)],
    );
    expect(family).toEqual({ client: 'integration-studio', provider_id: 'default' });

    const refreshed = await refresh(env.url, refreshToken);
    expect(refreshed.status).toBe(200);
    const pair = await refreshed.json();
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: env.service.config.desktop.tokenTtlSeconds, user: { email: DEVELOPER.email } });
    expect(pair.refreshToken).not.toBe(refreshToken);
    expect((await desktopMe(env.url, accessToken)).status).toBe(401);
    const me = await desktopMe(env.url, pair.accessToken);
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe(DEVELOPER.email);

    // Each refresh token works once: the device's first one, presented again, ends the whole sign-in.
    const reused = await refresh(env.url, refreshToken);
    expect(reused.status).toBe(400);
    expect((await reused.json()).error).toBe('invalid_grant');
    expect((await desktopMe(env.url, pair.accessToken)).status).toBe(401);
    expect((await refresh(env.url, pair.refreshToken)).status).toBe(400);
  });

  it('of 10 concurrent polls after approval, exactly one gets a token', async () => {
    const code = await requestDeviceCode(metadata, 'cli');
    const browser = await signedIn(ADMIN);
    await browser.submit(await browser.open(code.verification_uri_complete!), {}, '/device/allow');
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => pollOnce(metadata, 'cli', code.device_code)));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    for (const outcome of outcomes.filter((candidate) => !candidate.ok)) expect(['slow_down', 'invalid_grant']).toContain(outcome.ok ? '' : outcome.error);
    const [row] = await env.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM desktop_tokens t JOIN device_authorizations d ON d.user_id = t.user_id WHERE d.device_code_hash = $1 AND t.created_at >= d.decided_at`,
      [sha256Hex(code.device_code)],
    );
    expect(Number(row.n)).toBe(1);
  });

  it('answers a client that polls faster than the interval with slow_down and a longer interval; a polite client then waits', async () => {
    const code = await requestDeviceCode(metadata, 'service-studio');
    expect(await pollOnce(metadata, 'service-studio', code.device_code)).toMatchObject({ ok: false, error: 'authorization_pending' });
    expect(await pollOnce(metadata, 'service-studio', code.device_code)).toMatchObject({ ok: false, status: 400, error: 'slow_down' });
    expect((await row(code.device_code)).interval_seconds).toBe(6);

    await new Promise((resolve) => setTimeout(resolve, 6_100));
    expect(await pollOnce(metadata, 'service-studio', code.device_code)).toMatchObject({ ok: false, error: 'authorization_pending' });
    expect((await row(code.device_code)).interval_seconds).toBe(6);
  });

  it('tells the device access_denied when the person denies, and issues nothing', async () => {
    const code = await requestDeviceCode(metadata, 'integration-studio');
    const browser = await signedIn(ADMIN);
    const confirm = await browser.open(code.verification_uri_complete!);
    expect(confirm.body).toContain('<dd id="device-client">Integration Studio</dd>');
    const tokensBefore = await env.db.query('SELECT id FROM desktop_tokens');
    const denied = await browser.submit(confirm, {}, '/device/deny');
    expect(denied.status).toBe(200);
    expect(denied.body).toContain('Integration Studio was not signed in');
    expect(await pollOnce(metadata, 'integration-studio', code.device_code)).toMatchObject({ ok: false, status: 400, error: 'access_denied' });
    expect(await env.db.query('SELECT id FROM desktop_tokens')).toEqual(tokensBefore);
    expect((await auditTypes()).at(-1)).toBe('device.denied');
  });

  it('answers expired_token after expiry, and the page refuses the code without writing', async () => {
    const code = await requestDeviceCode(metadata, 'cli');
    await env.db.query("UPDATE device_authorizations SET expires_at = now() - interval '1 second' WHERE device_code_hash = $1", [sha256Hex(code.device_code)]);
    expect(await pollOnce(metadata, 'cli', code.device_code)).toMatchObject({ ok: false, status: 400, error: 'expired_token' });
    const browser = await signedIn(DEVELOPER);
    const before = await snapshot();
    const page = await browser.open(code.verification_uri_complete!);
    expect(page.status).toBe(410);
    expect(page.body).toContain('This code has expired');
    expect(await snapshot()).toBe(before);
  });

  it('decides nothing on GET and refuses Allow without the CSRF token or from a stranger', async () => {
    const code = await requestDeviceCode(metadata, 'cli');
    const browser = await signedIn(DEVELOPER);
    const confirm = await browser.open(code.verification_uri_complete!);
    const before = await snapshot();
    expect((await browser.open(`${env.url}/device/allow?user_code=${code.user_code}&${'_csrf'}=x`)).status).toBe(404);
    expect(await snapshot()).toBe(before);
    const forged = await browser.open(`${env.url}/device/allow`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user_code: code.user_code }),
    });
    expect(forged.status).toBe(403);
    expect(await snapshot()).toBe(before);

    // Someone else's session cannot replay the page's token.
    const other = await signedIn(ADMIN);
    const replay = await other.submit(confirm, {}, '/device/allow');
    expect(replay.status).toBe(403);

    // Not a platform user: the same "not registered" page as the consoles, nothing decided.
    const stranger = new TestBrowser();
    const refused = await signInThroughDevIdp(stranger, code.verification_uri_complete!, STRANGER);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('not registered');
    expect(await snapshot()).toBe(before);
    expect((await row(code.device_code)).status).toBe('pending');
  });

  it("refuses Allow sent by another site even with the page's valid token (Origin, Sec-Fetch-Site), and takes the same-origin one", async () => {
    const code = await requestDeviceCode(metadata, 'cli');
    const browser = await signedIn(DEVELOPER);
    const confirm = await browser.open(code.verification_uri_complete!);
    const form = csrfForm(confirm.body, { user_code: code.user_code });
    const allow = (headers: Record<string, string>) => browser.open(`${env.url}/device/allow`, { method: 'POST', headers: { ...form.headers, ...headers }, body: form.body });
    const before = await snapshot();
    const audited = await auditTypes();
    for (const headers of <Record<string, string>[]>[{ origin: 'https://evil.example' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }]) {
      const forged = await allow(headers);
      expect(forged.status, JSON.stringify(headers)).toBe(403);
      expect(forged.body).toContain('did not come from this site');
    }
    expect(await snapshot()).toBe(before);
    expect(await auditTypes()).toEqual(audited);
    expect((await row(code.device_code)).status).toBe('pending');

    // Chromium's own same-origin post under no-referrer: Origin null, Sec-Fetch-Site same-origin.
    const allowed = await allow({ origin: 'null', 'sec-fetch-site': 'same-origin' });
    expect(allowed.status).toBe(200);
    expect((await row(code.device_code)).status).toBe('authorized');
  });

  it('limits user-code guessing per session and per address, and counts nothing for the right code', async () => {
    await env.db.query('DELETE FROM rate_limit_device_codes');
    const code = await requestDeviceCode(metadata, 'cli');
    const guess = (browser: TestBrowser, typed: string): Promise<Page> => browser.open(`${env.url}/device?user_code=${encodeURIComponent(typed)}`);

    const first = await signedIn(DEVELOPER);
    expect((await guess(first, code.user_code)).status).toBe(200);
    for (let i = 0; i < GUESSES_PER_SESSION; i++) {
      const wrong = await guess(first, i === 0 ? 'BCDF-GHJK' : `not a code ${i}`);
      expect(wrong.status).toBe(400);
      expect(wrong.body).toContain('There is no pending sign-in with this code');
    }
    const blocked = await guess(first, code.user_code);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body).toContain('Too many wrong codes');
    const confirmBlocked = await first.open(`${env.url}/device`);
    expect(confirmBlocked.status).toBe(200);

    // A fresh session from the same address still has the address's remaining guesses, then none.
    const second = await signedIn(DEVELOPER);
    for (let i = GUESSES_PER_SESSION; i < GUESSES_PER_ADDRESS; i++) expect((await guess(second, 'ZZZZ-ZZZZ')).status).toBe(400);
    const before = await snapshot();
    expect((await guess(second, code.user_code)).status).toBe(429);
    expect(await snapshot()).toBe(before);
    expect((await row(code.device_code)).status).toBe('pending');

    const limits = await env.db.query<{ key: string }>('SELECT key FROM rate_limit_device_codes ORDER BY key');
    expect(limits.map((limit) => limit.key.split(':')[0]).sort()).toEqual(['ip', 'session', 'session']);
    // This machine's address is used up; the tests after this one start from a clean count.
    await env.db.query('DELETE FROM rate_limit_device_codes');
  });

  it('checks at most the limit of 25 guesses sent at once: each is counted before its code is looked at', async () => {
    await env.db.query('DELETE FROM rate_limit_device_codes');
    const sessions = await Promise.all(Array.from({ length: 5 }, () => signedIn(DEVELOPER)));
    const guesses = await Promise.all(
      Array.from({ length: 25 }, (_, i) => sessions[i % sessions.length].open(`${env.url}/device?user_code=${encodeURIComponent(`QQQQ-${'BCDFGHJKLMNPQRSTVWXZ'[i % 20]}QQQ`)}`)),
    );
    // 400 "no pending sign-in" is a code that was looked up; 429 one refused before it was.
    const checked = guesses.filter((page) => page.status === 400);
    expect(checked.every((page) => page.body.includes('There is no pending sign-in with this code'))).toBe(true);
    expect(checked.length).toBeLessThanOrEqual(GUESSES_PER_ADDRESS);
    expect(guesses.filter((page) => page.status === 429).length).toBeGreaterThanOrEqual(25 - GUESSES_PER_ADDRESS);
    expect(guesses.every((page) => page.status === 400 || page.status === 429)).toBe(true);
    await env.db.query('DELETE FROM rate_limit_device_codes');
  });

  it('refuses malformed grant and authorization requests with RFC error codes and writes nothing', async () => {
    const before = await snapshot();
    const post = async (path: string, fields: Record<string, string>) => {
      const response = await fetch(`${env.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, cache: response.headers.get('cache-control') };
    };
    expect(await post('/oauth/device_authorization', { client_id: 'evil-tool' })).toMatchObject({ status: 400, body: { error: 'invalid_client' }, cache: 'no-store' });
    expect(await post('/oauth/device_authorization', {})).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    expect(await post('/oauth/token', { grant_type: 'password', client_id: 'cli', device_code: 'x' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await post('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'cli' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await post('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'cli', device_code: 'made-up' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    const malformed = await fetch(`${env.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":' });
    expect(malformed.status).toBe(400);
    expect(await post('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'cli', device_code: 'x'.repeat(200) })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(await snapshot()).toBe(before);

    // A device code is bound to the client it was issued to.
    const code: DeviceCodeResponse = await requestDeviceCode(metadata, 'cli');
    expect(await pollOnce(metadata, 'service-studio', code.device_code)).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect(await pollOnce(metadata, 'cli', code.device_code)).toMatchObject({ ok: false, error: 'authorization_pending' });
  });

  it('limits device authorization requests per address with 429 and Retry-After, writing nothing past the limit', async () => {
    const limited = await startTestService({ RATE_LIMIT_HANDOFFS_PER_MINUTE: '2' });
    try {
      const ask = () =>
        fetch(`${limited.url}/oauth/device_authorization`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ client_id: 'cli' }),
        });
      expect([(await ask()).status, (await ask()).status]).toEqual([200, 200]);
      const refused = await ask();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
      expect(Number((await limited.db.query<{ n: string }>('SELECT count(*) AS n FROM device_authorizations'))[0].n)).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('logs the reference client in with `studio login --device`, which backs off after slow_down', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'studio-device-'));
    const out: string[] = [];
    const err: string[] = [];
    const io = { env: { STUDIO_CREDENTIALS_FILE: join(folder, 'credentials.json') }, out: (line: string) => out.push(line), err: (line: string) => err.push(line), openBrowser: () => undefined };
    const waitFor = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
        const found = await probe();
        if (found !== undefined) return found;
      }
      throw new Error(`timed out waiting for ${what}; output: ${out.join(' | ')} ${err.join(' | ')}`);
    };
    try {
      const login = runStudio(['login', '--device', '--environment', env.url], io);
      const complete = await waitFor('the code', () => out.find((line) => line.includes('or open '))?.split('or open ')[1]);
      expect(out[0]).toMatch(new RegExp(`^To sign in, open ${env.url}/device in a browser and enter the code [B-Z]{4}-[B-Z]{4}$`));
      const [pending] = await env.db.query<{ id: string }>("SELECT id FROM device_authorizations WHERE status = 'pending' AND client = 'cli' ORDER BY created_at DESC LIMIT 1");
      // As if the client had just polled under a long interval: its next poll comes too early.
      await env.db.query('UPDATE device_authorizations SET interval_seconds = 30, last_polled_at = now() WHERE id = $1', [pending.id]);
      await waitFor('slow_down', async () => ((await env.db.query<{ interval_seconds: number }>('SELECT interval_seconds FROM device_authorizations WHERE id = $1', [pending.id]))[0].interval_seconds === 35 ? true : undefined));
      // The client now waits 1 + 5 seconds; had it kept polling every second, the next poll would grow the interval again.
      await env.db.query('UPDATE device_authorizations SET interval_seconds = 6 WHERE id = $1', [pending.id]);
      const browser = await signedIn(DEVELOPER);
      const allowed = await browser.submit(await browser.open(complete), {}, '/device/allow');
      expect(allowed.status).toBe(200);

      expect(await login).toBe(0);
      expect(out.at(-1)).toBe(`Logged in as ${DEVELOPER.name} (${DEVELOPER.email})`);
      const [row] = await env.db.query<{ interval_seconds: number; status: string }>('SELECT interval_seconds, status FROM device_authorizations WHERE id = $1', [pending.id]);
      expect(row).toEqual({ interval_seconds: 6, status: 'redeemed' });
      out.length = 0;
      expect(await runStudio(['whoami'], io)).toBe(0);
      expect(out).toEqual([`Logged in as ${DEVELOPER.name} (${DEVELOPER.email}) to ${env.url} with the command-line tool`]);
      expect(await runStudio(['logout'], io)).toBe(0);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
