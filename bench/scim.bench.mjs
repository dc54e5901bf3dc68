// SCIM provisioning beside the floor of any request that writes or reads one row: BENCH_SCIM_USERS
// users (10,000 by default) created through POST /scim/v2/Users 8 at a time, then as many filtered
// GET /scim/v2/Users?filter=userName eq "…", each beside a bare NestJS route that inserts or reads
// one row through TypeORM, in the same run and on the same PostgreSQL. Printed as a ratio (SCIM
// rate / bare rate; the target is ≥ 0.5), with each process's CPU per request.
// The service runs as `node dist/main.js` with rate limits off; the bare app as
// `node bench/peer-servers.mjs rows`, each in a process of its own.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { send } from './handoff-load.mjs';
import { root, startChild, startService, stop } from './service-processes.mjs';
import { cpuTimeMs, createScratchDatabase, freePort, table } from './support.mjs';

const USERS = Number(process.env.BENCH_SCIM_USERS) > 0 ? Number(process.env.BENCH_SCIM_USERS) : 10_000;
const WARMUP = Math.min(200, USERS);
const CONCURRENCY = 8;

export default async function run({ log }) {
  const [serviceDb, rowsDb] = await Promise.all([createScratchDatabase('frontdoor_bench_scim'), createScratchDatabase('frontdoor_bench_rows')]);
  const children = [];
  try {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    const base = `http://127.0.0.1:${port}`;
    const { child: service } = await startService(
      { PORT: String(port), PUBLIC_URL: publicUrl, DATABASE_URL: serviceDb.url, DEV_IDP_PORT: '0', SESSION_SECRET: randomBytes(24).toString('base64url'), LOG_LEVEL: 'error', RATE_LIMITS_ENABLED: 'false' },
      base,
      children,
    );
    const rowsPort = await freePort();
    const rows = await startChild(['bench/peer-servers.mjs', 'rows'], { PORT: String(rowsPort), DATABASE_URL: rowsDb.url }, children);
    const rowsBase = `http://127.0.0.1:${rowsPort}`;
    const scimToken = await newScimToken(base, serviceDb.url);
    const scimHeaders = { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' };

    const createUser = (name) =>
      expectStatus(send('POST', `${base}/scim/v2/Users`, { headers: scimHeaders, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${name}@contoso.example`, externalId: name, name: { givenName: 'Bench', familyName: name }, emails: [{ primary: true, type: 'work', value: `${name}@contoso.example` }], active: true }) }), 201);
    const findUser = (name) => expectStatus(send('GET', `${base}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${name}@contoso.example"`)}`, { headers: scimHeaders }), 200);
    const insertRow = (name) => expectStatus(send('POST', `${rowsBase}/rows`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `${name}@contoso.example` }) }), 201);
    const readRow = (name) => expectStatus(send('GET', `${rowsBase}/rows/${encodeURIComponent(`${name}@contoso.example`)}`), 200);

    // Warm-up: the first requests of each route run on unoptimized code.
    const warm = names('warm', WARMUP);
    await batch(warm, createUser);
    await batch(warm, insertRow);
    await batch(warm, findUser);
    await batch(warm, readRow);

    const users = names('user', USERS);
    const lookups = Array.from({ length: USERS }, () => users[Math.floor(Math.random() * USERS)]);
    const measured = [
      { step: 'create a user (SCIM POST /Users)', pid: service.pid, ...(await timed(service.pid, () => batch(users, createUser), USERS)) },
      { step: 'insert one row (bare NestJS + TypeORM)', pid: rows.pid, ...(await timed(rows.pid, () => batch(users, insertRow), USERS)) },
      { step: 'filtered GET /Users?filter=userName eq', pid: service.pid, ...(await timed(service.pid, () => batch(lookups, findUser), USERS)) },
      { step: 'read one row (bare NestJS + TypeORM)', pid: rows.pid, ...(await timed(rows.pid, () => batch(lookups, readRow), USERS)) },
    ];
    log(`${USERS} users through SCIM and ${USERS} rows through a bare route, ${CONCURRENCY} at a time (after ${WARMUP} of each to warm up)`);
    log(table(['step', 'req/s', 'CPU µs/req'], measured.map((row) => [row.step, row.perSecond.toFixed(0), row.cpuUs.toFixed(0)])));
    log(`SCIM create / bare insert: ${(measured[0].perSecond / measured[1].perSecond).toFixed(2)}× (target ≥ 0.5×)`);
    log(`SCIM filtered GET / bare read: ${(measured[2].perSecond / measured[3].perSecond).toFixed(2)}× (target ≥ 0.5×)`);
  } finally {
    await Promise.all(children.map((child) => stop(child)));
    await Promise.all([serviceDb.drop(), rowsDb.drop()]);
  }
}

function names(prefix, count) {
  const run = randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) => `${prefix}${run}${i}`);
}

/** `work` over every item, CONCURRENCY at a time. */
async function batch(items, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function timed(pid, work, count) {
  const cpuBefore = cpuTimeMs(pid);
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: count / seconds, cpuUs: ((cpuTimeMs(pid) - cpuBefore) * 1000) / count };
}

/** An admin API token from the CLI (the development provider's admin is seeded at start), then a SCIM token through the admin API. */
async function newScimToken(base, databaseUrl) {
  const cli = spawnSync(process.execPath, ['dist/cli.js', 'tokens', 'create', '--email', 'admin@example.com'], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: 'utf8', timeout: 30_000 });
  if (cli.status !== 0) throw new Error(`cli tokens create: ${cli.stderr || cli.stdout}`);
  const adminToken = cli.stdout.trim().split('\n')[0];
  const answer = await expectStatus(send('POST', `${base}/api/admin/scim-tokens`, { headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ providerId: 'default', name: 'bench' }) }), 201);
  return JSON.parse(answer.body).token;
}

async function expectStatus(pending, status) {
  const answer = await pending;
  if (answer.status !== status) throw new Error(`expected HTTP ${status}, got ${answer.status}: ${answer.body.slice(0, 200)}`);
  return answer;
}
