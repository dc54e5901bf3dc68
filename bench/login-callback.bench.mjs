// What a login's callback (GET /auth/callback/<id>) costs: complete sign-ins one after the other
// (/auth/login/default, the development provider's login form, then the callback), with only the
// callback request timed: its wall time, and the service process's CPU during it (every thread,
// from /proc/<pid>/task/*/schedstat, in nanoseconds). The provider runs in a process of its own
// (bench/login-provider.mjs), so its work is in neither number; the callback's calls to it are in
// the wall time.
//
// BENCH_BASELINE_DIR=<folder>: another build of the service (a checkout with node_modules and a
// built dist/) measured in the same run, sign-ins alternating between the two, and the ratio of
// this tree's numbers to that one's printed. Without it, only this tree's numbers.
// BENCH_LOGINS (200) measured sign-ins per build and case, BENCH_LOGIN_WARMUP (30) before them,
// BENCH_LOGIN_CASES=linked,roles,email picks cases.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createScratchDatabase, freePort, MiniBrowser, percentile, table } from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOGINS = count('BENCH_LOGINS', 200);
const WARMUP = count('BENCH_LOGIN_WARMUP', 30);
const BASELINE_DIR = process.env.BENCH_BASELINE_DIR?.trim();
const PROVIDER_ID = 'default';
const RETURN_TO = '/servicecenter';
const DEV = { email: 'dev@example.com', password: 'dev-password' };
const ROLE_RULES = [
  { claim: 'groups', value: 'platform-admins', role: 'admin' },
  { claim: 'groups', value: 'platform-devs', role: 'developer' },
];

const CASES = [
  { key: 'linked', title: 'linked identity (the usual login)', env: {}, fresh: false },
  { key: 'roles', title: 'linked, roles from the provider (role rules, synced at every login)', env: { OIDC_ROLE_SOURCE: 'provider', OIDC_ROLE_RULES: JSON.stringify(ROLE_RULES) }, fresh: false },
  { key: 'email', title: 'first login, linked by verified email', env: {}, fresh: true },
];

function count(name, fallback) {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new Error(`${name} must be a whole number from 1 to 100000, not "${raw}"`);
  return value;
}

export default async function run({ log }) {
  const builds = [{ name: 'after', dir: root }];
  if (BASELINE_DIR) builds.push({ name: 'before', dir: resolve(BASELINE_DIR) });
  const wanted = process.env.BENCH_LOGIN_CASES?.split(',').map((key) => key.trim()).filter(Boolean);
  const cases = CASES.filter((c) => !wanted || wanted.includes(c.key));
  if (cases.length === 0) throw new Error(`BENCH_LOGIN_CASES names no case of ${CASES.map((c) => c.key).join(', ')}`);
  const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
  log(`${cpus().length} cores, load average ${load()}; Node ${process.version}`);
  log(`builds: ${builds.map((b) => `${b.name} = ${b.dir}`).join(', ')}`);
  log(`${LOGINS} measured sign-ins per build and case (after ${WARMUP} unmeasured), one at a time, builds alternating`);
  const rows = [];
  for (const c of cases) {
    const { results, checks } = await measureCase(c, builds);
    log(`${c.key}: ${c.title}; afterwards ${checks.map(({ name, identities, roles }) => `${name}: ${identities} linked identities, dev@example.com ${roles}`).join('; ')}`);
    for (const build of builds) rows.push(row(c, build.name, results.get(build.name), results.get('before')));
  }
  log(table(['case', 'build', 'median ms', 'p99 ms', 'CPU ms mean', 'CPU ms median', 'median ×', 'p99 ×', 'CPU mean ×', 'CPU median ×'], rows));
  log(`load average at the end: ${load()}`);
  if (builds.length === 1) log('(BENCH_BASELINE_DIR unset: no baseline, no ratios)');
}

function row(c, name, result, baseline) {
  const ratio = (value, base) => (baseline && name !== 'before' ? `${(value / base).toFixed(2)}` : '');
  return [
    c.key,
    name,
    result.p50.toFixed(1),
    result.p99.toFixed(1),
    result.cpuMs.toFixed(2),
    result.cpuP50.toFixed(2),
    ratio(result.p50, baseline?.p50),
    ratio(result.p99, baseline?.p99),
    ratio(result.cpuMs, baseline?.cpuMs),
    ratio(result.cpuP50, baseline?.cpuP50),
  ];
}

async function measureCase(c, builds) {
  // Fresh accounts for the first-login case, one per sign-in: each is a platform user not yet linked.
  const accounts = c.fresh
    ? Array.from({ length: WARMUP + LOGINS }, (_, i) => ({ id: `sub-login-${i}`, email: `login-${i}@example.com`, password: 'bench-password', name: `Login ${i}` }))
    : [];
  const started = [];
  try {
    const ports = new Map();
    for (const build of builds) ports.set(build.name, await freePort());
    const clients = builds.map((build) => ({
      clientId: `bench-${build.name}`,
      clientSecret: randomBytes(24).toString('base64url'),
      redirectUris: [`http://127.0.0.1:${ports.get(build.name)}/auth/callback/${PROVIDER_ID}`],
    }));
    const provider = await startProvider(clients, accounts);
    started.push(provider);
    const services = [];
    for (const [index, build] of builds.entries()) {
      const service = await startService(build, ports.get(build.name), provider.issuer, clients[index], c.env);
      started.push(service);
      await addUsers(service.db.url, [DEV.email, ...accounts.map((account) => account.email)]);
      services.push(service);
    }
    const account = (i) => (c.fresh ? { email: accounts[i].email, password: accounts[i].password } : DEV);
    const samples = new Map(builds.map((build) => [build.name, { ms: [], cpuNs: [] }]));
    for (let i = 0; i < WARMUP + LOGINS; i++) {
      // Alternating order as well, so neither build always follows the other.
      const order = i % 2 === 0 ? services : [...services].reverse();
      for (const service of order) {
        const { ms, cpuNs } = await signIn(service, account(i), { check: i === 0 });
        if (i < WARMUP) continue;
        const sample = samples.get(service.build.name);
        sample.ms.push(ms);
        sample.cpuNs.push(cpuNs);
      }
    }
    const checks = [];
    for (const service of services) checks.push({ name: service.build.name, ...(await inspect(service.db.url)) });
    const results = new Map(
      [...samples].map(([name, { ms, cpuNs }]) => {
        const sorted = Float64Array.from(ms).sort();
        const cpu = Float64Array.from(cpuNs, (ns) => ns / 1e6).sort();
        return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), cpuMs: cpu.reduce((sum, value) => sum + value, 0) / cpu.length, cpuP50: percentile(cpu, 50) }];
      }),
    );
    return { results, checks };
  } finally {
    for (const child of started.reverse()) await child.stop();
  }
}

/** One complete sign-in in a new browser; only the callback request is measured. */
async function signIn(service, { email, password }, { check }) {
  const browser = new MiniBrowser();
  const isCallback = (url) => url.startsWith(service.callbackUrl);
  const form = await browser.open(`${service.base}/auth/login/${PROVIDER_ID}?returnTo=${encodeURIComponent(RETURN_TO)}`);
  if (!form.url.includes('/interaction/') || !form.body.includes('name="password"')) {
    throw new Error(`${service.build.name}: expected the provider's login form, got ${form.status} at ${form.url}`);
  }
  const answered = await browser.submit(form, { email, password }, { stopAt: isCallback });
  if (!isCallback(answered.url)) throw new Error(`${service.build.name}: the provider did not send ${email} back: ${answered.status} at ${answered.url}`);

  const cpuBefore = cpuNs(service.pid);
  const startedAt = performance.now();
  const response = await browser.request(answered.url);
  await response.arrayBuffer();
  const ms = performance.now() - startedAt;
  const cpu = cpuNs(service.pid) - cpuBefore;

  const location = response.headers.get('location');
  if (response.status !== 302 || location !== RETURN_TO) {
    throw new Error(`${service.build.name}: the callback for ${email} answered ${response.status} → ${location} (expected 302 → ${RETURN_TO})`);
  }
  if (check) {
    const page = await browser.open(new URL(location, service.base).toString());
    if (page.status !== 200 || !page.body.includes('id="signed-in-user"')) throw new Error(`${service.build.name}: not signed in after the callback: ${page.status} at ${page.url}`);
  }
  return { ms, cpuNs: cpu };
}

/** CPU time of every thread of a process so far, in nanoseconds (the kernel's scheduler statistics). */
function cpuNs(pid) {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

async function startProvider(clients, accounts) {
  const child = spawn(process.execPath, [join(root, 'bench/login-provider.mjs')], {
    cwd: root,
    env: { ...process.env, BENCH_OP_CLIENTS: JSON.stringify(clients), BENCH_OP_ACCOUNTS: JSON.stringify(accounts) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => stopChild(child);
  try {
    const line = await new Promise((resolveLine, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error('the provider did not start within 30 s')), 30_000);
      child.stdout.on('data', (chunk) => {
        buffer += chunk;
        if (buffer.includes('\n')) {
          clearTimeout(timer);
          resolveLine(buffer.slice(0, buffer.indexOf('\n')));
        }
      });
      child.once('exit', (code) => reject(new Error(`the provider exited with code ${code} before it listened`)));
    });
    return { issuer: JSON.parse(line).issuer, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startService(build, port, issuer, client, env) {
  const db = await createScratchDatabase('frontdoor_bench_login');
  const base = `http://127.0.0.1:${port}`;
  // Only this bench's settings: no OIDC_* of the calling shell.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OIDC_')));
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: build.dir,
    env: {
      ...inherited,
      PORT: String(port),
      PUBLIC_URL: base,
      DATABASE_URL: db.url,
      SESSION_SECRET: randomBytes(24).toString('base64url'),
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: client.clientId,
      OIDC_CLIENT_SECRET: client.clientSecret,
      LOG_LEVEL: 'error',
      RATE_LIMITS_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    await stopChild(child);
    await db.drop();
  };
  try {
    await ready(base, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { build, base, callbackUrl: `${base}/auth/callback/${PROVIDER_ID}?`, pid: child.pid, db, stop };
}

/** Platform users (preregistered, as an admin adds them) for the given emails. */
async function addUsers(databaseUrl, emails) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`INSERT INTO users (email, display_name, roles) SELECT email, split_part(email, '@', 1), '{developer}' FROM unnest($1::text[]) AS email`, [emails]);
  } finally {
    await client.end();
  }
}

/** What the sign-ins left behind: how many identities got linked, and the demo developer's roles. */
async function inspect(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const identities = await client.query('SELECT count(*)::int AS n FROM linked_identities');
    const dev = await client.query('SELECT roles FROM users WHERE email = $1', [DEV.email]);
    return { identities: identities.rows[0].n, roles: `[${dev.rows[0].roles.join(', ')}]` };
  } finally {
    await client.end();
  }
}

function stopChild(child) {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
  });
}

async function ready(base, child) {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode} before it was ready`);
    const status = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => (r.arrayBuffer(), r.status), () => 0);
    if (status === 200) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error('the service was not ready within 60 s');
}
