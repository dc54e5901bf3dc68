// Where a handoff's time goes, step by step: the service's CPU per request of each step (create,
// browser page, Open click, redeem), each step run on its own for a batch of handoffs, with a
// guarded console page for scale. One warm-up round first: the steps' code runs unoptimized at first.
// The service runs as `node dist/main.js` with its development provider, on a scratch database.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send } from './handoff-load.mjs';
import { cpuTimeMs, createScratchDatabase, freePort, signIn, table } from './support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HANDOFFS = Number(process.env.BENCH_STEP_HANDOFFS) > 0 ? Number(process.env.BENCH_STEP_HANDOFFS) : 600;
const CONCURRENCY = 8;
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
/** BENCH_CPU_PROF=<dir>: the service runs under `node --cpu-prof` and leaves its profile there. */
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF?.trim();

export default async function run({ log }) {
  const db = await createScratchDatabase('frontdoor_bench_steps');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const publicUrl = `http://localhost:${port}`;
  const child = spawn(process.execPath, [...(CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR] : []), 'dist/main.js'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), PUBLIC_URL: publicUrl, DATABASE_URL: db.url, DEV_IDP_PORT: '0', SESSION_SECRET: randomBytes(24).toString('base64url'), LOG_LEVEL: 'error', RATE_LIMITS_ENABLED: 'false' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await ready(publicUrl, child);
    const cookie = await signIn(publicUrl);
    await oneRound(base, cookie, child.pid);
    const rows = await oneRound(base, cookie, child.pid);
    log(`service CPU per request of each handoff step, ${HANDOFFS} handoffs a step, ${CONCURRENCY} at a time (after a warm-up round)`);
    log(table(['step', 'CPU µs/req', 'req/s'], rows.map(({ step, cpuUs, perSecond }) => [step, cpuUs.toFixed(0), perSecond.toFixed(0)])));
    const handoffUs = rows.filter((row) => row.step !== 'console page (for scale)').reduce((sum, row) => sum + row.cpuUs, 0);
    log(`one handoff: ${handoffUs.toFixed(0)} µs of service CPU, at most ${(1e6 / handoffUs).toFixed(0)} handoffs/s for one service process on a core of its own`);
  } finally {
    await new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    await db.drop();
  }
}

async function oneRound(base, cookie, pid) {
  const rows = [];
  const step = async (name, items, work) => {
    const cpuBefore = cpuTimeMs(pid);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < items.length) {
          const index = next++;
          items[index] = await work(items[index]);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    rows.push({ step: name, cpuUs: ((cpuTimeMs(pid) - cpuBefore) * 1000) / items.length, perSecond: items.length / seconds });
    return items;
  };
  const verifiers = Array.from({ length: HANDOFFS }, () => randomBytes(32).toString('base64url'));
  const created = await step('create', [...verifiers], async (codeVerifier) => {
    const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
    const answer = await expectStatus(
      send('POST', `${base}/api/desktop/handoffs`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'service-studio', codeChallenge, codeChallengeMethod: 'S256', redirectUri: REDIRECT_URI }) }),
      201,
    );
    return { codeVerifier, id: JSON.parse(answer.body).id };
  });
  const shown = await step('browser page', created, async (handoff) => {
    const answer = await expectStatus(send('GET', `${base}/desktop/handoff/${handoff.id}`, { headers: { cookie } }), 200);
    return { ...handoff, csrf: /name="_csrf" value="([^"]*)"/.exec(answer.body)[1] };
  });
  const opened = await step('Open click', shown, async (handoff) => {
    const answer = await expectStatus(
      send('POST', `${base}/desktop/handoff/${handoff.id}/open`, { headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: handoff.csrf }).toString() }),
      303,
    );
    return { ...handoff, code: new URL(answer.headers.location).searchParams.get('code') };
  });
  await step('redeem', opened, async (handoff) => {
    await expectStatus(
      send('POST', `${base}/api/desktop/handoffs/${handoff.id}/token`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: handoff.code, codeVerifier: handoff.codeVerifier }) }),
      200,
    );
    return handoff;
  });
  await step('console page (for scale)', Array.from({ length: HANDOFFS }), async () => expectStatus(send('GET', `${base}/servicecenter`, { headers: { cookie } }), 200));
  return rows;
}

async function expectStatus(pending, status) {
  const answer = await pending;
  if (answer.status !== status) throw new Error(`expected HTTP ${status}, got ${answer.status}: ${answer.body.slice(0, 200)}`);
  return answer;
}

async function ready(publicUrl, child) {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode} before it was ready`);
    const status = await fetch(`${publicUrl}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => (r.arrayBuffer(), r.status), () => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the service was not ready within 30 s');
}
