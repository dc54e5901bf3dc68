// What the access guard costs: an unguarded route against the same service's guarded routes
// (session cookie, admin API token) and the login redirect, as ratios measured in one run.
import { ApiTokensService } from '../dist/auth/api-tokens.service.js';
import { BENCH_SECONDS, CONNECTIONS, measureCases, startBenchService, table, WARMUP_SECONDS } from './support.mjs';

const ADMIN_EMAIL = 'admin@example.com';

export default async function run({ log }) {
  const { service, base, sessionCookie, close } = await startBenchService();
  try {
    const { token, user } = await service.app.get(ApiTokensService).create(ADMIN_EMAIL);

    const cases = [
      { key: 'a', label: 'GET /healthz (public)', url: `${base}/healthz`, expectStatus: 200 },
      { key: 'b', label: 'GET /servicecenter (session)', url: `${base}/servicecenter`, headers: { cookie: sessionCookie }, expectStatus: 200, expectBody: 'id="signed-in-user"' },
      { key: 'c', label: 'GET /api/admin/users/:id (API token)', url: `${base}/api/admin/users/${user.id}`, headers: { authorization: `Bearer ${token}` }, expectStatus: 200, expectBody: user.email },
      { key: 'd', label: 'GET /servicecenter (no session)', url: `${base}/servicecenter`, expectStatus: 302, expectLocation: '/auth/login' },
    ];
    for (const c of cases) await check(c);

    log(`${CONNECTIONS} connections, ${BENCH_SECONDS} s per case (interleaved rounds, after a ${WARMUP_SECONDS} s warm-up of every case), service on ${base}`);
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
    await close();
  }
}

/** One plain request per case first, so the numbers are known to measure the intended answer. */
async function check({ label, url, headers, expectStatus, expectBody, expectLocation }) {
  const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const body = await response.text();
  const location = response.headers.get('location') ?? '';
  const ok = response.status === expectStatus && (!expectBody || body.includes(expectBody)) && (!expectLocation || location.startsWith(expectLocation));
  if (!ok) throw new Error(`${label}: expected ${expectStatus}, got ${response.status}${location ? ` to ${location}` : ''}: ${body.slice(0, 300)}`);
}
