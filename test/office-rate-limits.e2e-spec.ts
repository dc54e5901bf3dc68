import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitService } from '../src/limits/rate-limit.service.js';
import { TestBrowser } from './support/browser.js';
import { startHandoff } from './support/desktop-login.js';
import { DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** The limits before they were sized for an office behind one address. */
const OLD_LOGIN_PER_MINUTE = 30;
const OLD_HANDOFFS_PER_MINUTE = 20;

/** `work` for each of `count` items, at most `parallel` at once. */
async function inBatches<T>(count: number, parallel: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += parallel) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - start) }, (_, i) => work(start + i)))));
  }
  return results;
}

describe('per-address rate limits as configured by default', () => {
  let env: TestService;
  const counted = async (bucket: string) => (await env.db.query<{ key: string; points: number }>('SELECT key, points FROM rate_limits WHERE key LIKE $1', [`${bucket}:%`]))[0];

  beforeAll(async () => {
    // Empty values fall back to the defaults (the other test files raise them for their own sign-ins).
    env = await startTestService({ RATE_LIMIT_LOGIN_PER_MINUTE: '', RATE_LIMIT_HANDOFFS_PER_MINUTE: '' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('signs in a burst of people from one address past the old limit, then refuses a flood with 429 and Retry-After', async () => {
    const pages = await inBatches(40, 8, async () => signInThroughDevIdp(new TestBrowser(), `${env.url}/servicecenter`, DEVELOPER));
    expect(pages.map((page) => page.status).every((status) => status === 200)).toBe(true);
    const used = await counted('login');
    expect(used.points).toBeGreaterThan(OLD_LOGIN_PER_MINUTE);

    // The rest of the minute's allowance, taken at once through the service and its PostgreSQL store.
    const limit = env.service.config.rateLimits.loginPerMinute;
    await env.service.app.get(RateLimitService).consume('login', used.key.slice('login:'.length), limit - used.points);
    const flooded = await fetch(`${env.url}/auth/login`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(flooded.status).toBe(429);
    expect(Number(flooded.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(flooded.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });

  it('starts the Studio logins of an office from one address (300 in a minute), then refuses a flood with 429 and Retry-After', async () => {
    const started = await inBatches(300, 25, async () => (await startHandoff(env.url)).id);
    expect(new Set(started).size).toBe(300);
    expect((await counted('handoff-create')).points).toBeGreaterThan(OLD_HANDOFFS_PER_MINUTE);

    const { key, points } = await counted('handoff-create');
    await env.service.app.get(RateLimitService).consume('handoff-create', key.slice('handoff-create:'.length), env.service.config.rateLimits.handoffsPerMinute - points);
    const flooded = await fetch(`${env.url}/api/desktop/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client: 'service-studio', codeChallenge: 'A'.repeat(43), codeChallengeMethod: 'S256' }),
    });
    expect(flooded.status).toBe(429);
    expect(Number(flooded.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await flooded.json()).toMatchObject({ error: 'rate_limited' });
    expect(Number((await env.db.query<{ n: string }>('SELECT count(*) AS n FROM handoff_tickets'))[0].n)).toBe(300);
  });
});
