// What the access guard costs: an unguarded route against the same service's guarded routes
// (session cookie, admin API token) and the login redirect, as ratios measured in one run.
import { randomBytes } from 'node:crypto';
import { startService } from '../dist/bootstrap.js';
import { ApiTokensService } from '../dist/auth/api-tokens.service.js';
import { DEV_IDP_ACCOUNTS } from '../dist/dev-idp/dev-idp.js';
import { BENCH_SECONDS, CONNECTIONS, createScratchDatabase, freePort, measureCases, MiniBrowser, table, WARMUP_SECONDS } from './support.mjs';

const SESSION_COOKIE = 'frontdoor.sid';
const DEVELOPER = DEV_IDP_ACCOUNTS.find((account) => account.email === 'dev@example.com');
const ADMIN_EMAIL = 'admin@example.com';

export default async function run({ log }) {
  const db = await createScratchDatabase('frontdoor_bench');
  let service;
  try {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    // Only what is listed here: OIDC_ISSUER stays unset, so the development identity provider runs.
    service = await startService({
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DATABASE_URL: db.url,
      DEV_IDP_PORT: '0',
      SESSION_SECRET: randomBytes(24).toString('base64url'),
      LOG_LEVEL: 'error',
    });
    const sessionCookie = await signIn(publicUrl);
    const { token, user } = await service.app.get(ApiTokensService).create(ADMIN_EMAIL);

    // Loopback by address, so no name resolution (or IPv6 attempt) is part of any measurement.
    const base = `http://127.0.0.1:${port}`;
    const cases = [
      { key: 'a', label: 'GET /healthz (public)', url: `${base}/healthz`, expectStatus: 200 },
      { key: 'b', label: 'GET /servicecenter (session)', url: `${base}/servicecenter`, headers: { cookie: sessionCookie }, expectStatus: 200, expectBody: 'id="signed-in-user"' },
      { key: 'c', label: 'GET /api/admin/users/:id (API token)', url: `${base}/api/admin/users/${user.id}`, headers: { authorization: `Bearer ${token}` }, expectStatus: 200, expectBody: user.email },
      { key: 'd', label: 'GET /servicecenter (no session)', url: `${base}/servicecenter`, expectStatus: 302, expectLocation: '/auth/login' },
    ];
    for (const c of cases) await check(c);

    log(`${CONNECTIONS} connections, ${BENCH_SECONDS} s per case (interleaved rounds, after a ${WARMUP_SECONDS} s warm-up of every case), service on ${base}, database ${db.name}`);
    const measured = await measureCases(cases);
    const results = cases.map((c, index) => ({ ...c, ...measured[index] }));
    for (const r of results) log(`  (${r.key}) ${r.label}: ${r.requests} requests`);

    const [baseline] = results;
    const ratio = (value, base) => `${(value / base).toFixed(2)}x`;
    log('');
    log(
      table(
        ['case', 'req/s', 'p50 ms', 'p99 ms', 'req/s vs (a)', 'p50 vs (a)', 'p99 vs (a)'],
        results.map((r) => [
          `(${r.key}) ${r.label}`,
          r.requestsPerSecond.toFixed(0),
          r.p50.toFixed(2),
          r.p99.toFixed(2),
          ratio(r.requestsPerSecond, baseline.requestsPerSecond),
          ratio(r.p50, baseline.p50),
          ratio(r.p99, baseline.p99),
        ]),
      ),
    );
    return results.map(({ key, label, requestsPerSecond, p50, p99 }) => ({ key, label, requestsPerSecond, p50, p99 }));
  } finally {
    await service?.close();
    await db.drop();
  }
}

/** Signs one browser in through the development provider's login form; returns its session cookie. */
async function signIn(publicUrl) {
  const browser = new MiniBrowser();
  const loginPage = await browser.open(`${publicUrl}/servicecenter`);
  if (!loginPage.url.includes('/interaction/') || !loginPage.body.includes('name="password"')) {
    throw new Error(`expected the development provider's login form, got ${loginPage.status} at ${loginPage.url}`);
  }
  const landed = await browser.submit(loginPage, { email: DEVELOPER.email, password: DEVELOPER.password });
  if (landed.status !== 200 || landed.url !== `${publicUrl}/servicecenter` || !landed.body.includes('id="signed-in-user"')) {
    throw new Error(`sign-in did not land on the Service Center: ${landed.status} at ${landed.url}`);
  }
  const sid = browser.cookie(new URL(publicUrl).hostname, SESSION_COOKIE);
  if (!sid) throw new Error('no session cookie after sign-in');
  return `${SESSION_COOKIE}=${sid}`;
}

/** One plain request per case first, so the numbers are known to measure the intended answer. */
async function check({ label, url, headers, expectStatus, expectBody, expectLocation }) {
  const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const body = await response.text();
  const location = response.headers.get('location') ?? '';
  const ok = response.status === expectStatus && (!expectBody || body.includes(expectBody)) && (!expectLocation || location.startsWith(expectLocation));
  if (!ok) throw new Error(`${label}: expected ${expectStatus}, got ${response.status}${location ? ` to ${location}` : ''}: ${body.slice(0, 300)}`);
}
