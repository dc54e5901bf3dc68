import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../src/bootstrap.js';
import { TestBrowser } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { desktopLogin, refresh } from './support/desktop-login.js';
import { freePort } from './support/ports.js';
import { DEVELOPER, signInThroughDevIdp, STRANGER } from './support/service.js';

interface LogLine {
  level: string;
  msg: string;
  requestId?: string;
  context?: string;
  path?: string;
  status?: number;
}

/** The real service with its JSON log lines captured, and its metrics scraped over HTTP. */
describe('structured logs and metrics', () => {
  let db: TestDatabase;
  let service: RunningService;
  let url: string;
  const lines: LogLine[] = [];
  let raw = '';

  async function start(env: Record<string, string>): Promise<void> {
    db = await createTestDatabase();
    const port = await freePort();
    url = `http://localhost:${port}`;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw += chunk.toString('utf8');
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    service = await startService(
      { PORT: String(port), PUBLIC_URL: url, DATABASE_URL: db.url, DEV_IDP_PORT: '0', SESSION_SECRET: 'test-session-secret-0123456789', LOG_LEVEL: 'log', ...env },
      { logDestination: sink },
    );
  }

  beforeAll(async () => {
    await start({ METRICS_TOKEN: 'metrics-token-0123456789', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await service?.close();
    await db?.drop();
  });

  it('writes JSON lines, one per request with its id, and the id on every line of that request', async () => {
    const browser = new TestBrowser();
    await signInThroughDevIdp(browser, `${url}/servicecenter`, STRANGER);
    const response = await fetch(`${url}/api/admin/users`, { headers: { 'x-request-id': 'trace-42' } });
    expect(response.status).toBe(401);
    const ofRequest = lines.filter((line) => line.requestId === 'trace-42');
    expect(ofRequest.filter((line) => line.msg === 'request')).toEqual([expect.objectContaining({ context: 'HTTP', path: '/api/admin/users', status: 401 })]);
    // The refusal logged by the exception filter carries the same id without being handed it.
    expect(ofRequest.some((line) => line.level === 'warn' && line.context === 'AppExceptionFilter')).toBe(true);

    const callback = lines.find((line) => line.msg === 'request' && line.path?.startsWith('/auth/callback/'));
    expect(callback).toBeDefined();
    const warnings = lines.filter((line) => line.requestId === callback!.requestId && line.level === 'warn');
    expect(warnings.some((line) => line.msg.includes('not_registered'))).toBe(true);
    // Paths only: the callback's code and state never reach a log line.
    expect(raw).not.toMatch(/[?&](code|state)=/);
  });

  it('answers /metrics only with the METRICS_TOKEN bearer', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(403);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
  });

  it('counts logins by provider and reason, handoffs, refreshes, reuse, back-channel logouts, provider call latency and pool use', async () => {
    const browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${url}/servicecenter`, DEVELOPER)).status).toBe(200);
    const tokens = await desktopLogin(url, browser);
    await refresh(url, tokens.refreshToken);
    await refresh(url, tokens.refreshToken);
    await fetch(`${url}/auth/backchannel-logout/default`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `logout_token=${randomBytes(8).toString('hex')}` });

    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).text();
    expect(text).toMatch(/frontdoor_logins_total\{provider="default",outcome="success",reason=""\} [1-9]/);
    expect(text).toMatch(/frontdoor_logins_total\{provider="default",outcome="failure",reason="not_registered"\} [1-9]/);
    expect(text).toMatch(/frontdoor_handoffs_total\{status="created"\} [1-9]/);
    expect(text).toMatch(/frontdoor_handoffs_total\{status="redeemed"\} [1-9]/);
    expect(text).toMatch(/frontdoor_token_refreshes_total\{outcome="refreshed"\} [1-9]/);
    expect(text).toMatch(/frontdoor_refresh_token_reuse_detected_total [1-9]/);
    expect(text).toMatch(/frontdoor_backchannel_logouts_total\{provider="default",outcome="failure",reason="malformed"\} [1-9]/);
    for (const endpoint of ['discovery', 'jwks', 'token', 'userinfo']) {
      expect(text).toMatch(new RegExp(`frontdoor_idp_request_duration_seconds_count\\{provider="default",endpoint="${endpoint}",outcome="ok"\\} [1-9]`));
    }
    expect(text).toMatch(/frontdoor_db_pool_connections\{state="total"\} [1-9]/);
    expect(text).not.toContain(tokens.accessToken);
  });
});

describe('metrics without METRICS_TOKEN', () => {
  let db: TestDatabase;
  let service: RunningService;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    url = `http://localhost:${port}`;
    service = await startService({ PORT: String(port), PUBLIC_URL: url, DATABASE_URL: db.url, DEV_IDP_PORT: '0', LOG_LEVEL: 'error', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await service?.close();
    await db?.drop();
  });

  it('serves loopback callers and refuses others', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    // Behind a trusted proxy the caller is the forwarded address, and that one is not loopback.
    const remote = await fetch(`${url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(remote.status).toBe(403);
  });
});
