// Load of complete desktop handoffs: create (the Studio), the handoff page with a session and the
// Open … Studio click (the browser), redeem (the Studio), end to end. Loopback only; every loop is
// bounded by time and stops by itself.
import { createHash, randomBytes } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { inWorker, percentile } from './support.mjs';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY) > 0 ? Number(process.env.BENCH_CONCURRENCY) : 8;
/** Never contacted: the bench reads the code from the Open button's redirect, as the browser would follow it. */
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const WORKER_KIND = 'frontdoor-bench-handoff';
/** A failing service must not turn a loop into a busy spin of errors. */
const MAX_ERRORS = 50;

/**
 * Complete handoffs from `concurrency` loops in a worker thread for `seconds`; each step is timed
 * on its own, so the note can say where a handoff's time goes.
 */
export function measureHandoffs({ base, cookie, seconds, concurrency = CONCURRENCY }) {
  return inWorker({ kind: 'handoff', base, cookie, seconds, concurrency }, import.meta.url, WORKER_KIND);
}

/** One Studio login end to end, as the Studio and the signed-in browser do it. */
export async function completeHandoff(base, cookie, steps) {
  const codeVerifier = randomBytes(32).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
  let mark = performance.now();
  const lap = (name) => {
    const now = performance.now();
    steps?.[name].push(now - mark);
    mark = now;
  };
  const handoff = await postJson(`${base}/api/desktop/handoffs`, { client: 'service-studio', codeChallenge, codeChallengeMethod: 'S256', redirectUri: REDIRECT_URI }, 201);
  lap('create');
  const page = await fetch(`${base}/desktop/handoff/${handoff.id}`, { headers: { cookie }, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const body = await page.text();
  const csrf = /<form id="open-form"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]*)"/.exec(body)?.[1];
  if (page.status !== 200 || !csrf) throw new Error(`handoff page: HTTP ${page.status} without an Open Service Studio button`);
  lap('page');
  // The click: a form POST that mints the code and redirects to the Studio.
  const open = await fetch(`${base}/desktop/handoff/${handoff.id}/open`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf }),
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  await open.arrayBuffer();
  const location = open.headers.get('location');
  if (open.status !== 303 || !location) throw new Error(`Open Service Studio: HTTP ${open.status} without a redirect`);
  const code = new URL(location).searchParams.get('code');
  lap('open');
  const token = await postJson(`${base}/api/desktop/handoffs/${handoff.id}/token`, { code, codeVerifier }, 200);
  if (!token.accessToken) throw new Error('the redemption answered no token');
  lap('redeem');
  return token.accessToken;
}

async function postJson(url, body, expectStatus) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json = await response.json().catch(() => ({}));
  if (response.status !== expectStatus) throw new Error(`${new URL(url).pathname}: HTTP ${response.status} ${json.error ?? ''} ${json.message ?? ''}`.trim());
  return json;
}

async function healthz(base) {
  const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`GET /healthz: HTTP ${response.status}`);
}

/** `concurrency` loops, each running one iteration after another until the time is up. */
async function loadLoop({ kind, base, cookie, seconds, concurrency }) {
  const steps = { create: [], page: [], open: [], redeem: [] };
  const iteration = kind === 'healthz' ? () => healthz(base) : () => completeHandoff(base, cookie, steps);
  const latencies = [];
  let errors = 0;
  let firstError;
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline && errors < MAX_ERRORS) {
      const begin = performance.now();
      try {
        await iteration();
        latencies.push(performance.now() - begin);
      } catch (error) {
        errors += 1;
        firstError ??= error.message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  latencies.sort((a, b) => a - b);
  const stepP50 = Object.fromEntries(Object.entries(steps).map(([name, values]) => [name, percentile(values.sort((a, b) => a - b), 50)]));
  return { count: latencies.length, perSecond: latencies.length / elapsedSeconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), stepP50, errors, firstError };
}

if (!isMainThread && workerData?.kind === WORKER_KIND) parentPort.postMessage(await loadLoop(workerData.options));
