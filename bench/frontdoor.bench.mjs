// Everything in one run, so only ratios within it are compared: our guarded console page, desktop
// bearer call and /healthz against a bare NestJS route and against the route express-openid-connect
// protects (encrypted-cookie sessions, which cannot be revoked), then complete desktop handoffs,
// the service's memory after all of it, and a warm start to a ready /readyz.
// The service, the peer and the bare route run as child processes; load comes from worker threads.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeHandoff, measureHandoffs } from './handoff-load.mjs';
import { addUser, backendCpuMs, commits, rssMb, signIn, startChild, startService, stop } from './service-processes.mjs';
import { BENCH_SECONDS, cpuTimeMs, createScratchDatabase, freePort, measureCases, table, WARMUP_SECONDS } from './support.mjs';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS) || 50;
/** Handoffs are warmed up this many times longer than a case of single requests. */
const HANDOFF_WARMUP_FACTOR = 3;
const SESSION_COOKIE = 'frontdoor.sid';
const CLIENT_ID = 'front-door';
const PEER_CLIENT_ID = 'peer-app';
/** BENCH_ONLY=page,healthz,… measures only those cases (while profiling one of them). */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);

export default async function run({ log }) {
  const { startDevIdp } = await import('../dist/dev-idp/dev-idp.js');
  const db = await createScratchDatabase('frontdoor_bench');
  const children = [];
  let devIdp;
  try {
    const [servicePort, peerPort, barePort] = await Promise.all([freePort(), freePort(), freePort()]);
    const serviceUrl = `http://localhost:${servicePort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const secret = randomBytes(24).toString('base64url');
    const peerSecret = randomBytes(24).toString('base64url');
    devIdp = await startDevIdp({
      port: 0,
      clients: [
        { clientId: CLIENT_ID, clientSecret: secret, redirectUris: [`${serviceUrl}/auth/callback/default`], postLogoutRedirectUris: [`${serviceUrl}/auth/signed-out`] },
        { clientId: PEER_CLIENT_ID, clientSecret: peerSecret, redirectUris: [`${peerUrl}/callback`], postLogoutRedirectUris: [peerUrl] },
      ],
    });
    const serviceEnv = {
      PORT: String(servicePort),
      PUBLIC_URL: serviceUrl,
      DATABASE_URL: db.url,
      OIDC_ISSUER: devIdp.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: secret,
      SESSION_SECRET: randomBytes(24).toString('base64url'),
      LOG_LEVEL: 'error',
      // The load comes from one address: the per-address limits would measure 429s, not the service.
      RATE_LIMITS_ENABLED: 'false',
      // Forward auth (/auth/verify) for one protected app, asked by a proxy on loopback.
      PROTECTED_APPS: JSON.stringify([{ origin: 'http://app.bench.test', name: 'Bench app' }]),
      TRUST_PROXY: '127.0.0.1',
    };
    const base = `http://127.0.0.1:${servicePort}`;

    const first = await startService(serviceEnv, base, children);
    log(`service: first start (migrations on an empty database) ready in ${first.readyMs.toFixed(0)} ms, ${rssMb(first.child.pid)} MB RSS`);
    addUser(serviceEnv, 'dev@example.com', 'Dev Eloper');
    const peer = await startChild(['bench/peer-servers.mjs', 'peer'], { PORT: String(peerPort), PUBLIC_URL: peerUrl, ISSUER: devIdp.issuer, CLIENT_ID: PEER_CLIENT_ID, CLIENT_SECRET: peerSecret, COOKIE_SECRET: randomBytes(32).toString('base64url') }, children);
    const bare = await startChild(['bench/peer-servers.mjs', 'bare'], { PORT: String(barePort) }, children);
    const bareBase = `http://127.0.0.1:${barePort}`;

    const sessionCookie = await signIn(serviceUrl, 'servicecenter', (browser) => `${SESSION_COOKIE}=${browser.cookie('localhost', SESSION_COOKIE)}`);
    const peerCookie = await signIn(peerUrl, 'servicecenter', (browser) => browser.cookieHeader('127.0.0.1'));
    const desktopToken = await completeHandoff(base, sessionCookie);

    const all = [
      { key: 'bare', label: 'bare NestJS route, same page', pid: bare.pid, url: `${bareBase}/servicecenter`, expectStatus: 200, expectBody: 'id="signed-in-user"' },
      { key: 'peer', label: 'express-openid-connect protected route', pid: peer.pid, url: `${peerUrl}/servicecenter`, headers: { cookie: peerCookie }, expectStatus: 200, expectBody: 'id="signed-in-user"' },
      { key: 'page', label: 'ours GET /servicecenter (session)', pid: first.child.pid, url: `${base}/servicecenter`, headers: { cookie: sessionCookie }, expectStatus: 200, expectBody: 'id="signed-in-user"' },
      {
        key: 'verify',
        label: 'ours GET /auth/verify (session, forward auth)',
        pid: first.child.pid,
        url: `${base}/auth/verify`,
        headers: { cookie: sessionCookie, 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.bench.test', 'x-forwarded-uri': '/' },
        expectStatus: 200,
      },
      {
        key: 'verify-token',
        label: 'ours GET /auth/verify (desktop token, forward auth)',
        pid: first.child.pid,
        url: `${base}/auth/verify`,
        headers: { authorization: `Bearer ${desktopToken}`, 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.bench.test', 'x-forwarded-uri': '/' },
        expectStatus: 200,
      },
      { key: 'bare-me', label: 'bare NestJS route, /me JSON', pid: bare.pid, url: `${bareBase}/me`, expectStatus: 200, expectBody: 'displayName' },
      { key: 'me', label: 'ours GET /api/desktop/me (token)', pid: first.child.pid, url: `${base}/api/desktop/me`, headers: { authorization: `Bearer ${desktopToken}` }, expectStatus: 200, expectBody: 'dev@example.com' },
      { key: 'bare-healthz', label: 'bare NestJS route, /healthz JSON', pid: bare.pid, url: `${bareBase}/healthz`, expectStatus: 200, expectBody: 'ok' },
      { key: 'healthz', label: 'ours GET /healthz', pid: first.child.pid, url: `${base}/healthz`, expectStatus: 200, expectBody: 'ok' },
    ];
    const cases = ONLY ? all.filter((c) => ONLY.includes(c.key)) : all;
    for (const c of cases) await check(c);

    log(`${CONNECTIONS} connections, ${BENCH_SECONDS} s per case (interleaved rounds, after a ${WARMUP_SECONDS} s warm-up of every case); load from worker threads`);
    const measured = await measureCases(cases, { connections: CONNECTIONS });
    const results = Object.fromEntries(cases.map((c, index) => [c.key, { ...c, ...measured[index] }]));
    log('');
    log(
      table(
        ['route', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req'],
        Object.values(results).map((r) => [r.label, r.requestsPerSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), r.cpuUsPerRequest?.toFixed(0) ?? '']),
      ),
    );
    log('');
    const targets = [
      ['guarded page vs express-openid-connect (>= 2)', results.page, results.peer, 'requestsPerSecond', 2, '>='],
      ['guarded page vs bare page (>= 0.8)', results.page, results.bare, 'requestsPerSecond', 0.8, '>='],
      ['guarded page p99 vs bare p99 (<= 1.5)', results.page, results.bare, 'p99', 1.5, '<='],
      ['/auth/verify (session) vs bare page (>= 0.8)', results.verify, results.bare, 'requestsPerSecond', 0.8, '>='],
      ['/auth/verify (session) p99 vs bare p99 (<= 1.3)', results.verify, results.bare, 'p99', 1.3, '<='],
      ['/auth/verify (token) vs bare page (>= 0.8)', results['verify-token'], results.bare, 'requestsPerSecond', 0.8, '>='],
      ['/auth/verify (token) p99 vs bare p99 (<= 1.3)', results['verify-token'], results.bare, 'p99', 1.3, '<='],
      ['/auth/verify (session) vs express-openid-connect (for reference)', results.verify, results.peer, 'requestsPerSecond'],
      ['/api/desktop/me vs bare /me (>= 0.7)', results.me, results['bare-me'], 'requestsPerSecond', 0.7, '>='],
      ['/api/desktop/me vs bare page (for reference)', results.me, results.bare, 'requestsPerSecond'],
      ['/healthz vs bare /healthz (>= 1.0)', results.healthz, results['bare-healthz'], 'requestsPerSecond', 1.0, '>='],
      ['/healthz vs bare page (for reference)', results.healthz, results.bare, 'requestsPerSecond'],
    ].filter(([, a, b]) => a && b);
    // The same comparisons in server CPU time per answer (inverted, so higher is better as for req/s):
    // the machine is shared, and this is what other load moves least.
    const cpuRatio = (a, b) => (b.cpuUsPerRequest / a.cpuUsPerRequest).toFixed(2) + 'x';
    log(
      table(
        ['ratio', 'value', 'target', 'by CPU/req'],
        targets.map(([label, a, b, field, target, op]) => {
          const value = a[field] / b[field];
          const met = target === undefined ? '' : (op === '>=' ? value >= target : value <= target) ? 'met' : 'NOT met';
          return [label, `${value.toFixed(2)}x`, met, field === 'requestsPerSecond' ? cpuRatio(a, b) : ''];
        }),
      ),
    );

    if (!ONLY || ONLY.includes('handoff')) {
      const seconds = Math.max(2, BENCH_SECONDS);
      // Warmed up like the other cases, by requests rather than seconds: a handoff is four requests at
      // a fraction of a page's rate, and its code paths run cold (unoptimized) for their first few hundred.
      if (WARMUP_SECONDS > 0) await measureHandoffs({ base, cookie: sessionCookie, seconds: HANDOFF_WARMUP_FACTOR * WARMUP_SECONDS });
      const before = await commits(db.url);
      const cpuBefore = { service: cpuTimeMs(first.child.pid), database: await backendCpuMs(db) };
      const handoffs = await measureHandoffs({ base, cookie: sessionCookie, seconds });
      const cpuAfter = { service: cpuTimeMs(first.child.pid), database: await backendCpuMs(db) };
      const after = await commits(db.url);
      if (handoffs.errors > 0) throw new Error(`handoffs: ${handoffs.errors} failed; the first: ${handoffs.firstError}`);
      const perHandoffUs = (ms) => ((ms * 1000) / handoffs.count).toFixed(0);
      log('');
      log(`full handoffs (create, browser page, Open click, redeem), 8 at a time for ${seconds} s after a ${HANDOFF_WARMUP_FACTOR * WARMUP_SECONDS} s warm-up: ${handoffs.perSecond.toFixed(0)}/s, p50 ${handoffs.p50.toFixed(1)} ms, p99 ${handoffs.p99.toFixed(1)} ms`);
      log(`  p50 per step: create ${handoffs.stepP50.create.toFixed(1)} ms, page ${handoffs.stepP50.page.toFixed(1)} ms, open ${handoffs.stepP50.open.toFixed(1)} ms, redeem ${handoffs.stepP50.redeem.toFixed(1)} ms`);
      log(`  database transactions committed per handoff: ${((after - before) / handoffs.count).toFixed(1)} (target >= 500 handoffs/s)`);
      log(
        `  CPU per handoff: service ${perHandoffUs(cpuAfter.service - cpuBefore.service)} µs, PostgreSQL backends of the service ${perHandoffUs(cpuAfter.database.total - cpuBefore.database.total)} µs (ticks of 10 ms: rough below a few hundred handoffs)`,
      );
    }

    const rss = rssMb(first.child.pid);
    log('');
    log(`service RSS after the whole bench: ${rss} MB (target <= 200)`);
    await stop(first.child);
    const warm = await startService(serviceEnv, base, children);
    log(`warm start (database exists, build done) to a ready /readyz: ${warm.readyMs.toFixed(0)} ms (target <= 2000)`);
    await stop(warm.child);
    if (!ONLY || ONLY.includes('handoff')) await countHandoffStatements(serviceEnv, base, sessionCookie, children, log);
    return { results, rss, warmStartMs: warm.readyMs };
  } finally {
    for (const child of children) await stop(child);
    await devIdp?.close();
    await db.drop();
  }
}

/**
 * One handoff on a service that logs every statement it sends (bench/query-log.mjs), step by step:
 * the round trips each step costs, BEGIN and COMMIT included. Its own start, apart from every timing.
 */
async function countHandoffStatements(env, base, cookie, children, log) {
  const dir = mkdtempSync(join(tmpdir(), 'frontdoor-bench-'));
  const file = join(dir, 'queries.log');
  writeFileSync(file, '');
  const service = await startService({ ...env, BENCH_QUERY_LOG: file }, base, children, ['--import', './bench/query-log.mjs']);
  try {
    // Twice: the first handoff also pays for first-use reads (the user, the session) that the load finds cached.
    await completeHandoff(base, cookie);
    const lines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const perStep = {};
    let seen = lines().length;
    const steps = Object.fromEntries(
      ['create', 'page', 'open', 'redeem'].map((name) => [
        name,
        {
          push: () => {
            const all = lines();
            perStep[name] = all.slice(seen);
            seen = all.length;
          },
        },
      ]),
    );
    await completeHandoff(base, cookie, steps);
    const total = Object.values(perStep).reduce((sum, statements) => sum + statements.length, 0);
    log('');
    log(`statements sent per step of one handoff (one at a time, caches warm): ${total} in all`);
    for (const [name, statements] of Object.entries(perStep)) {
      log(`  ${name}: ${statements.length}${statements.map((text) => `\n    ${text.slice(0, 110)}`).join('')}`);
    }
  } finally {
    await stop(service.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One plain request per case first, so the numbers are known to measure the intended answer. */
async function check({ label, url, headers, expectStatus, expectBody }) {
  const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const body = await response.text();
  if (response.status !== expectStatus || (expectBody && !body.includes(expectBody))) {
    throw new Error(`${label}: expected ${expectStatus}, got ${response.status}: ${body.slice(0, 300)}`);
  }
}
