// Horizontal scale: two service processes on one PostgreSQL behind Debian's nginx as the load
// balancer (an `upstream` of both, as a deployment would run it), against one process behind the
// same nginx. For the console page and /auth/verify (a session, a desktop token) it prints req/s and
// p99, and the CPU per request of the service processes, of PostgreSQL's backends and of nginx: what a
// larger deployment multiplies. While the two-process /auth/verify load runs, a session and a desktop
// token are ended through one instance and must be refused by the very next check on the other.
// A third process with its caches off (SESSION_CACHE_SECONDS=0) gives PostgreSQL's CPU per request
// when every request reads its session, user or token: the most a request can ask of the database.
// Alone: node bench/run.mjs scale (after npm run build). Needs nginx (NGINX_PATH, default /usr/sbin/nginx).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeHandoff } from './handoff-load.mjs';
import { addUser, backendCpuByPid, backendCpuSpentMs, commits, signIn, startService, stop } from './service-processes.mjs';
import { BENCH_SECONDS, cpuTimeMs, createScratchDatabase, freePort, measure, MiniBrowser, table } from './support.mjs';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS) || 50;
const CLIENT_ID = 'front-door';
const APP = 'http://app.bench.test';
const SESSION_COOKIE = 'frontdoor.sid';

export default async function run({ log }) {
  if (!existsSync(NGINX)) throw new Error(`nginx not found at ${NGINX}: apt-get install -y --no-install-recommends nginx-light, or set NGINX_PATH`);
  const { startDevIdp } = await import('../dist/dev-idp/dev-idp.js');
  const db = await createScratchDatabase('frontdoor_bench_scale');
  const children = [];
  let devIdp;
  let balancer;
  try {
    const [portA, portB, portC, onePort, twoPort, uncachedPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    // Browsers know the service by the balancer's address; each instance listens on its own port.
    const publicUrl = `http://localhost:${twoPort}`;
    const secret = randomBytes(24).toString('base64url');
    devIdp = await startDevIdp({
      port: 0,
      clients: [{ clientId: CLIENT_ID, clientSecret: secret, redirectUris: [`${publicUrl}/auth/callback/default`], postLogoutRedirectUris: [`${publicUrl}/auth/signed-out`] }],
    });
    const env = {
      PUBLIC_URL: publicUrl,
      DATABASE_URL: db.url,
      OIDC_ISSUER: devIdp.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: secret,
      SESSION_SECRET: randomBytes(24).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'error',
      RATE_LIMITS_ENABLED: 'false',
      PROTECTED_APPS: JSON.stringify([{ origin: APP, name: 'Bench app' }]),
      // nginx, the balancer, is the proxy whose X-Original-URL is believed (it passes the app proxy's on).
      TRUST_PROXY: '127.0.0.1',
    };
    const a = await startService({ ...env, PORT: String(portA) }, `http://127.0.0.1:${portA}`, children);
    addUser(env, 'dev@example.com', 'Dev Eloper');
    const b = await startService({ ...env, PORT: String(portB) }, `http://127.0.0.1:${portB}`, children);
    // The worst case for PostgreSQL: an instance that reads the session, user or token on every request.
    const c = await startService({ ...env, PORT: String(portC), SESSION_CACHE_SECONDS: '0' }, `http://127.0.0.1:${portC}`, children);
    balancer = await startBalancer({
      one: { port: onePort, servers: [portA] },
      two: { port: twoPort, servers: [portA, portB] },
      uncached: { port: uncachedPort, servers: [portC] },
    });
    const cookieOf = (browser) => `${SESSION_COOKIE}=${browser.cookie('localhost', SESSION_COOKIE)}`;
    const cookie = await signIn(publicUrl, 'servicecenter', cookieOf);
    const token = await completeHandoff(`http://127.0.0.1:${twoPort}`, cookie);

    const verifyHeaders = { 'x-original-url': `${APP}/` };
    const routes = [
      { key: 'page', label: 'GET /servicecenter (session)', path: '/servicecenter', headers: { cookie } },
      { key: 'verify', label: 'GET /auth/verify (session)', path: '/auth/verify', headers: { cookie, ...verifyHeaders } },
      { key: 'verify-token', label: 'GET /auth/verify (desktop token)', path: '/auth/verify', headers: { authorization: `Bearer ${token}`, ...verifyHeaders } },
    ];
    const pools = {
      1: { port: onePort, pids: [a.child.pid] },
      2: { port: twoPort, pids: [a.child.pid, b.child.pid] },
      'uncached': { port: uncachedPort, pids: [c.child.pid] },
    };
    log(`${CONNECTIONS} connections, ${BENCH_SECONDS} s per case after a 1 s warm-up, through nginx (1 worker) to 1 or 2 service processes on one PostgreSQL, and to 1 with SESSION_CACHE_SECONDS=0 ("uncached")`);
    const rows = [];
    let revocation;
    for (const route of routes) {
      for (const processes of [1, 2, 'uncached']) {
        const pool = pools[processes];
        const during = processes === 2 && route.key === 'verify' ? (load) => revokeDuringLoad({ publicUrl, portA, portB, load }) : undefined;
        const result = await measureWithCpu({ url: `http://127.0.0.1:${pool.port}${route.path}`, headers: route.headers, pids: pool.pids, nginxPid: balancer.pid, db, during });
        if (result.during) revocation = result.during;
        rows.push({ route, processes, ...result });
      }
    }
    log('');
    log(
      table(
        ['route', 'processes', 'req/s', 'p99 ms', 'service CPU µs/req', 'PostgreSQL CPU µs/req', 'statements/req', 'PostgreSQL µs/statement', 'nginx CPU µs/req'],
        rows.map((r) => [
          r.route.label,
          r.processes,
          r.requestsPerSecond.toFixed(0),
          r.p99.toFixed(2),
          r.serviceUs.toFixed(0),
          r.databaseUs.toFixed(1),
          r.statementsPerRequest.toFixed(3),
          r.databaseUsPerStatement.toFixed(0),
          r.nginxUs.toFixed(0),
        ]),
      ),
    );
    log('');
    for (const route of routes) {
      const [one, two, uncached] = rows.filter((r) => r.route === route);
      // Uncached, a request reads its session (or token) and its user: two statements, unless it shares a read in flight.
      const worst = 2 * uncached.databaseUsPerStatement;
      log(
        `${route.label}: two processes ${(two.requestsPerSecond / one.requestsPerSecond).toFixed(2)}x one; a request that reads its session or token and user costs PostgreSQL about ${worst.toFixed(0)} µs against the service's ${uncached.serviceUs.toFixed(0)} µs: one PostgreSQL core for every ${(uncached.serviceUs / worst).toFixed(1)} service cores at worst`,
      );
    }
    log('');
    log(`revocation during the two-process /auth/verify load: ${revocation}`);
  } finally {
    await balancer?.close();
    for (const child of children) await stop(child);
    await devIdp?.close();
    await db.drop();
  }
}

/** One case, with the CPU time the service processes, PostgreSQL's backends and nginx spent on it. */
async function measureWithCpu({ url, headers, pids, nginxPid, db, during }) {
  const serviceCpu = () => pids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0);
  await measure({ url, headers, expectStatus: 200, seconds: 1, warmupSeconds: 0, connections: CONNECTIONS });
  const committedBefore = await commits(db.url);
  const before = { service: serviceCpu(), database: await backendCpuByPid(db), nginx: processTreeCpuMs(nginxPid) };
  const load = measure({ url, headers, expectStatus: 200, warmupSeconds: 0, connections: CONNECTIONS });
  const happened = during ? await during(load) : undefined;
  const summary = await load;
  const after = { service: serviceCpu(), database: await backendCpuByPid(db), nginx: processTreeCpuMs(nginxPid) };
  const statements = (await commits(db.url)) - committedBefore;
  const perRequest = (ms) => (ms * 1000) / summary.requests;
  const databaseMs = backendCpuSpentMs(before.database, after.database);
  return {
    ...summary,
    statementsPerRequest: statements / summary.requests,
    databaseUsPerStatement: statements > 0 ? (databaseMs * 1000) / statements : 0,
    serviceUs: perRequest(after.service - before.service),
    databaseUs: perRequest(databaseMs),
    nginxUs: perRequest(after.nginx - before.nginx),
    during: happened,
  };
}

/**
 * A second person signs in, gets a desktop token, and is served (so cached) by both instances; a
 * second into the load, their token and then their session are ended through A, and the very next
 * check of each on B must refuse. Throws otherwise: a bench that cannot keep revocation is no result.
 */
async function revokeDuringLoad({ publicUrl, portA, portB, load }) {
  const browser = new MiniBrowser();
  const landed = await browser.open(`${publicUrl}/servicecenter`);
  // The development provider remembers dev@example.com from the first sign-in, or asks again.
  const page = landed.body.includes('name="password"') ? await browser.submit(landed, { email: 'dev@example.com', password: 'dev-password' }) : landed;
  if (page.status !== 200) throw new Error(`second sign-in: ${page.status} at ${page.url}`);
  const cookie = `${SESSION_COOKIE}=${browser.cookie('localhost', SESSION_COOKIE)}`;
  const token = await completeHandoff(`http://127.0.0.1:${portA}`, cookie);
  const check = async (port, headers) => (await fetch(`http://127.0.0.1:${port}/auth/verify`, { headers: { 'x-original-url': `${APP}/`, ...headers }, signal: AbortSignal.timeout(10_000) })).status;
  for (const port of [portA, portB, portA, portB]) {
    if ((await check(port, { cookie })) !== 200 || (await check(port, { authorization: `Bearer ${token}` })) !== 200) throw new Error('the second person was not admitted before the revocation');
  }
  await Promise.race([new Promise((resolve) => setTimeout(resolve, 1000)), load]);

  const tokenOut = await fetch(`http://127.0.0.1:${portA}/api/desktop/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  const tokenOnB = await check(portB, { authorization: `Bearer ${token}` });
  const consolePage = await browser.open(`http://localhost:${portA}/servicecenter`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(consolePage.body)?.[1];
  if (!csrf) throw new Error('no Log out form on the console page');
  const sessionOut = await browser.request(`http://localhost:${portA}/auth/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: publicUrl },
    body: new URLSearchParams({ _csrf: csrf }),
  });
  const sessionOnB = await check(portB, { cookie });
  if (tokenOut.status !== 204 || sessionOut.status !== 303) throw new Error(`the revocations through A failed: desktop logout ${tokenOut.status}, logout ${sessionOut.status}`);
  if (tokenOnB !== 401 || sessionOnB !== 401) throw new Error(`B still admitted after A ended them: token ${tokenOnB}, session ${sessionOnB}`);
  return 'a desktop logout and a console logout through A, each refused (401) by the next /auth/verify on B';
}

/** Debian's nginx in front of the instances: one server per pool, each an `upstream` with kept-alive connections. */
async function startBalancer(pools) {
  const dir = await mkdtemp(join(tmpdir(), 'frontdoor-bench-nginx-'));
  const servers = Object.entries(pools)
    .map(
      ([name, pool]) => `
  upstream frontdoor_${name} {
${pool.servers.map((port) => `    server 127.0.0.1:${port};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${pool.port};
    location / {
      proxy_pass http://frontdoor_${name};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }
  }`,
    )
    .join('\n');
  await writeFile(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers}
}
`,
  );
  const child = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = performance.now() + 10_000;
  for (const pool of Object.values(pools)) {
    while ((await fetch(`http://127.0.0.1:${pool.port}/healthz`).then((r) => r.status, () => 0)) !== 200) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-500)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    pid: child.pid,
    close: async () => {
      await stop(child, 'SIGQUIT');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** CPU time of a process and its children (nginx's master and its worker). */
function processTreeCpuMs(pid) {
  let total = cpuTimeMs(pid);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  for (const child of children ? children.split(/\s+/) : []) {
    try {
      total += cpuTimeMs(Number(child));
    } catch {
      // A worker that ended between the two reads.
    }
  }
  return total;
}
