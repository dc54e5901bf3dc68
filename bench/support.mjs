// Shared helpers for the benchmarks (plain ESM JavaScript: they run against the compiled service in dist/).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import pg from 'pg';

/** The machine's PostgreSQL unless BENCH_DATABASE_URL or TEST_DATABASE_URL names another server. */
export const ADMIN_DATABASE_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Seconds each measured case runs (BENCH_SECONDS, default 5), and the unmeasured warm-up before it. */
export const BENCH_SECONDS = positiveNumber('BENCH_SECONDS', 5);
export const WARMUP_SECONDS = positiveNumber('BENCH_WARMUP_SECONDS', 1, { allowZero: true });
export const CONNECTIONS = 10;

function positiveNumber(name, fallback, { allowZero = false } = {}) {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0) || value > 600) {
    throw new Error(`${name} must be a number of seconds${allowZero ? ' >= 0' : ' > 0'} and <= 600, not "${raw}"`);
  }
  return value;
}

/** A port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A fresh, empty database `<prefix>_<random>` on the admin URL's server; `drop()` removes it. */
export async function createScratchDatabase(prefix, adminUrl = ADMIN_DATABASE_URL) {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `Cannot reach PostgreSQL at ${redact(adminUrl)} (${error.message}). Start it, or point BENCH_DATABASE_URL at a server where a new database may be created.`,
      { cause: error },
    );
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Just enough of a browser to sign in: a cookie jar per host name (not per port, like a real
 * browser), redirects followed by hand, and the first HTML form of a page submitted like a person would.
 */
export class MiniBrowser {
  #jar = new Map();

  async request(url, init = {}) {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target.hostname);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    this.#store(target.hostname, response.headers.getSetCookie());
    return response;
  }

  /**
   * Follows redirects (at most 20) to the page that finally renders, or, with `stopAt`, up to the
   * first redirect whose target it accepts: that page is `{ url, status: 0 }`, not requested.
   */
  async open(url, init = {}, { stopAt } = {}) {
    let current = url;
    let response = await this.request(current, init);
    for (let i = 0; i < 20 && response.status >= 300 && response.status < 400; i++) {
      await response.arrayBuffer();
      current = new URL(response.headers.get('location'), current).toString();
      if (stopAt?.(current)) return { url: current, status: 0, body: '' };
      response = await this.request(current);
    }
    return { url: current, status: response.status, body: await response.text() };
  }

  /** Submits the first form of the page with `fields` filled in (`options` as for `open`). */
  submit(page, fields = {}, options = {}) {
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page.body);
    if (!form) throw new Error(`no form on ${page.url} (status ${page.status}):\n${page.body.slice(0, 500)}`);
    const inputs = Object.fromEntries(
      [...form[2].matchAll(/<input\b([^>]*)>/gi)].map(([, input]) => [attribute(input, 'name'), decode(attribute(input, 'value') ?? '')]).filter(([name]) => name),
    );
    const action = new URL(decode(attribute(form[1], 'action') ?? '') || page.url, page.url);
    return this.open(action.toString(), {
      method: (attribute(form[1], 'method') ?? 'get').toUpperCase(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(page.url).origin },
      body: new URLSearchParams({ ...inputs, ...fields }),
    }, options);
  }

  /** The Cookie header this browser sends to `hostname`. */
  cookieHeader(hostname) {
    const cookies = this.#jar.get(hostname);
    return cookies ? [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') : '';
  }

  cookie(hostname, name) {
    return this.#jar.get(hostname)?.get(name);
  }

  #store(hostname, lines) {
    if (!this.#jar.has(hostname)) this.#jar.set(hostname, new Map());
    const cookies = this.#jar.get(hostname);
    for (const line of lines) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const maxAge = attributes.find((a) => /^max-age=/i.test(a));
      const expires = attributes.find((a) => /^expires=/i.test(a));
      const expired = maxAge ? Number(maxAge.slice(8)) <= 0 : expires ? Date.parse(expires.slice(8)) <= Date.now() : false;
      if (expired) cookies.delete(name);
      else cookies.set(name, pair.slice(index + 1));
    }
  }
}

function attribute(attributes, name) {
  const match = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attributes);
  return match ? (match[2] ?? match[3] ?? match[4]) : undefined;
}

function decode(value) {
  return value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * One autocannon run against one request shape, with latencies kept at sub-millisecond precision
 * (autocannon's own histogram rounds to whole milliseconds). The load generator runs in a worker
 * thread, so it does not share the event loop of a service started in this process. Throws when any
 * answer has a status other than `expectStatus`, or on connection errors or timeouts, so a table
 * never hides failures.
 */
export async function measure({ url, headers = {}, expectStatus, seconds = BENCH_SECONDS, connections = CONNECTIONS, warmupSeconds = WARMUP_SECONDS }) {
  if (warmupSeconds > 0) await sample({ url, headers, expectStatus, seconds: warmupSeconds, connections });
  return summarize([await sample({ url, headers, expectStatus, seconds, connections })]);
}

/**
 * Several request shapes compared in one run: all are warmed up first, then measured in interleaved
 * rounds (a b c d a b c d …) so that a change in the machine's background load during the run
 * spreads over every case instead of skewing the last ones. Each case gets `seconds` in total.
 */
export async function measureCases(cases, { seconds = BENCH_SECONDS, connections = CONNECTIONS, warmupSeconds = WARMUP_SECONDS, rounds = Math.min(5, Math.max(1, Math.floor(seconds))) } = {}) {
  if (warmupSeconds > 0) {
    for (const c of cases) await sample({ ...c, seconds: warmupSeconds, connections });
  }
  const samples = cases.map(() => []);
  const cpuMs = cases.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [index, c] of cases.entries()) {
      const before = c.pid ? cpuTimeMs(c.pid) : 0;
      samples[index].push(await sample({ ...c, seconds: seconds / rounds, connections }));
      if (c.pid) cpuMs[index] += cpuTimeMs(c.pid) - before;
    }
  }
  return samples.map((s, index) => {
    const summary = summarize(s);
    // CPU time the serving process spent per answer: unlike req/s, barely moved by other load on the machine.
    return cases[index].pid ? { ...summary, cpuUsPerRequest: (cpuMs[index] * 1000) / summary.requests } : summary;
  });
}

/** User plus system CPU time of a process so far, in milliseconds (Linux /proc, 10 ms ticks). */
export function cpuTimeMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function sample({ url, headers = {}, expectStatus, seconds, connections }) {
  const { result, latencies } = await inWorker({ url, headers, seconds, connections });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
  const unexpected = Object.keys(statuses).filter((code) => Number(code) !== expectStatus);
  if (unexpected.length > 0 || result.errors > 0 || result.timeouts > 0 || latencies.length === 0) {
    throw new Error(`${url}: expected only ${expectStatus}, got statuses ${JSON.stringify(statuses)}, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { latencies, duration: result.duration || seconds, statuses };
}

function summarize(samples) {
  const latencies = new Float64Array(samples.reduce((n, s) => n + s.latencies.length, 0));
  let offset = 0;
  for (const s of samples) {
    latencies.set(s.latencies, offset);
    offset += s.latencies.length;
  }
  latencies.sort();
  const duration = samples.reduce((total, s) => total + s.duration, 0);
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const WORKER_KIND = 'frontdoor-bench-autocannon';

/**
 * Runs a load generator in a worker thread, so it does not share the event loop of the service it
 * measures: the worker loads `moduleUrl`, which answers when `workerData.kind` is `kind`.
 */
export function inWorker(options, moduleUrl = import.meta.url, kind = WORKER_KIND) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(moduleUrl), { workerData: { kind, options } });
    let answer;
    worker.once('message', (message) => (answer = message));
    worker.once('error', reject);
    worker.once('exit', (code) => (answer ? resolve(answer) : reject(new Error(`load generator exited with code ${code} before answering`))));
  });
}

async function loadGenerator({ url, headers, seconds, connections }) {
  const collected = [];
  const result = await runAutocannon({ url, headers, seconds, connections, onResponse: (ms) => collected.push(ms) });
  const latencies = Float64Array.from(collected);
  parentPort.postMessage(
    { result: { statusCodeStats: result.statusCodeStats, errors: result.errors, timeouts: result.timeouts, duration: result.duration }, latencies },
    [latencies.buffer],
  );
}

if (!isMainThread && workerData?.kind === WORKER_KIND) await loadGenerator(workerData.options);

function runAutocannon({ url, headers, seconds, connections, onResponse }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, headers, duration: seconds, connections, timeout: 10 }, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (_client, _statusCode, _bytes, responseTime) => onResponse(responseTime));
  });
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A fixed-width text table. */
export function table(headers, rows) {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The compiled service on a fresh scratch database, with the development identity provider
 * (OIDC_ISSUER unset), and one browser signed in as dev@example.com through its login form.
 */
export async function startBenchService() {
  const { startService } = await import('../dist/bootstrap.js');
  const db = await createScratchDatabase('frontdoor_bench');
  try {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    const service = await startService({
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DATABASE_URL: db.url,
      DEV_IDP_PORT: '0',
      SESSION_SECRET: randomBytes(24).toString('base64url'),
      LOG_LEVEL: 'error',
      // The load comes from one address: the per-address limits would measure 429s, not the service.
      RATE_LIMITS_ENABLED: 'false',
    });
    const close = async () => {
      await service.close();
      await db.drop();
    };
    try {
      // Loopback by address, so no name resolution (or IPv6 attempt) is part of any measurement.
      return { service, base: `http://127.0.0.1:${port}`, sessionCookie: await signIn(publicUrl), close };
    } catch (error) {
      await close();
      throw error;
    }
  } catch (error) {
    await db.drop().catch(() => undefined);
    throw error;
  }
}

const SESSION_COOKIE = 'frontdoor.sid';

/** Signs one browser in through the development provider's login form; returns its session cookie. */
export async function signIn(publicUrl) {
  const browser = new MiniBrowser();
  const loginPage = await browser.open(`${publicUrl}/servicecenter`);
  if (!loginPage.url.includes('/interaction/') || !loginPage.body.includes('name="password"')) {
    throw new Error(`expected the development provider's login form, got ${loginPage.status} at ${loginPage.url}`);
  }
  const landed = await browser.submit(loginPage, { email: 'dev@example.com', password: 'dev-password' });
  if (landed.status !== 200 || landed.url !== `${publicUrl}/servicecenter` || !landed.body.includes('id="signed-in-user"')) {
    throw new Error(`sign-in did not land on the Service Center: ${landed.status} at ${landed.url}`);
  }
  const sid = browser.cookie(new URL(publicUrl).hostname, SESSION_COOKIE);
  if (!sid) throw new Error('no session cookie after sign-in');
  return `${SESSION_COOKIE}=${sid}`;
}
