// The service and its helpers as child processes, for the benches that measure it from outside:
// start and stop, a user added through the CLI, a browser signed in, and the CPU time of the process
// and of its PostgreSQL backends.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cpuTimeMs, MiniBrowser } from './support.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** BENCH_CPU_PROF=<dir> runs the service under `node --cpu-prof` and leaves the profile there (helpers' in <dir>/<mode>). */
export const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF?.trim();

/** Starts `node dist/main.js` and waits for /readyz to answer 200; the time includes the process start. */
export async function startService(env, base, children, nodeOptions = []) {
  const args = [...nodeOptions, ...(CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR] : []), 'dist/main.js'];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  const deadline = started + 30_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode} before it was ready`);
    const status = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => (r.arrayBuffer(), r.status), () => 0);
    if (status === 200) return { child, readyMs: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the service was not ready within 30 s');
}

/** Starts a helper server and waits for its "listening" line (profiled into <BENCH_CPU_PROF>/<mode> too). */
export function startChild(args, env, children) {
  return new Promise((resolve, reject) => {
    const profile = CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(CPU_PROFILE_DIR, args[1])] : [];
    const child = spawn(process.execPath, [...profile, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within 20 s`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with code ${code}`)));
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

export function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export function addUser(env, email, name) {
  const result = spawnSync(process.execPath, ['dist/cli.js', 'users', 'add', '--email', email, '--name', name], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`cli users add: ${result.stderr || result.stdout}`);
}

export function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? (Number(match[1]) / 1024).toFixed(0) : '?';
}

/** User plus system CPU time so far of the PostgreSQL backends connected to the scratch database. */
export async function backendCpuMs(db) {
  let total = 0;
  for (const ms of (await backendCpuByPid(db)).values()) total += ms;
  return { total };
}

/** The same per backend process, so that a difference can leave out backends that ended in between. */
export async function backendCpuByPid(db) {
  const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000, statement_timeout: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    const byPid = new Map();
    for (const { pid } of rows) {
      try {
        byPid.set(pid, cpuTimeMs(pid));
      } catch {
        // A backend that ended between the query and the read.
      }
    }
    return byPid;
  } finally {
    await client.end();
  }
}

/** CPU time PostgreSQL's backends spent between two `backendCpuByPid` readings (a backend new since counts whole). */
export function backendCpuSpentMs(before, after) {
  let spent = 0;
  for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
  return spent;
}

/** Transactions committed in the scratch database so far (statistics are flushed with a short delay). */
export async function commits(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 5000 });
  await client.connect();
  try {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0].xact_commit);
  } finally {
    await client.end();
  }
}

/** Signs a browser in through the development provider's login form as dev@example.com; returns the Cookie header to send. */
export async function signIn(appUrl, path, cookieOf) {
  const browser = new MiniBrowser();
  const loginPage = await browser.open(`${appUrl}/${path}`);
  if (!loginPage.body.includes('name="password"')) throw new Error(`expected the development provider's login form, got ${loginPage.status} at ${loginPage.url}`);
  const landed = await browser.submit(loginPage, { email: 'dev@example.com', password: 'dev-password' });
  if (landed.status !== 200 || !landed.body.includes('id="signed-in-user"')) throw new Error(`sign-in at ${appUrl} did not land on the page: ${landed.status} at ${landed.url}: ${landed.body.slice(0, 300)}`);
  return cookieOf(browser);
}
