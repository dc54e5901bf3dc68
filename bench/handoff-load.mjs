// Load of complete desktop handoffs: create (the Studio), the handoff page with a session and the
// Open … Studio click (the browser), redeem (the Studio), end to end. Loopback only; every loop is
// bounded by time and stops by itself.
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { inWorker, percentile } from './support.mjs';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY) > 0 ? Number(process.env.BENCH_CONCURRENCY) : 8;
/** Never contacted: the bench reads the code from the Open button's redirect, as the browser would follow it. */
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const WORKER_KIND = 'frontdoor-bench-handoff';
/** A failing service must not turn a loop into a busy spin of errors. */
const MAX_ERRORS = 50;
const TIMEOUT_MS = 10_000;
/**
 * Kept-alive connections through node:http: a Studio and a browser each pay for their own requests
 * on their own machines, so the generator should take as little of the shared CPU as it can
 * (`fetch` cost about as much CPU per request as the service answering it).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

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
  const page = await send('GET', `${base}/desktop/handoff/${handoff.id}`, { headers: { cookie } });
  const csrf = /<form id="open-form"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]*)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !csrf) throw new Error(`handoff page: HTTP ${page.status} without an Open Service Studio button`);
  lap('page');
  // The click: a form POST that mints the code and redirects to the Studio.
  const open = await send('POST', `${base}/desktop/handoff/${handoff.id}/open`, {
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
  });
  const location = open.headers.location;
  if (open.status !== 303 || !location) throw new Error(`Open Service Studio: HTTP ${open.status} without a redirect`);
  const code = new URL(location).searchParams.get('code');
  lap('open');
  const token = await postJson(`${base}/api/desktop/handoffs/${handoff.id}/token`, { code, codeVerifier }, 200);
  if (!token.accessToken) throw new Error('the redemption answered no token');
  lap('redeem');
  return token.accessToken;
}

async function postJson(url, body, expectStatus) {
  const response = await send('POST', url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let json = {};
  try {
    json = JSON.parse(response.body);
  } catch {
    // Reported through the status below.
  }
  if (response.status !== expectStatus) throw new Error(`${new URL(url).pathname}: HTTP ${response.status} ${json.error ?? ''} ${json.message ?? ''}`.trim());
  return json;
}

/** One request on a kept-alive connection; the whole answer as text. */
export function send(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: TIMEOUT_MS }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${new URL(url).pathname}: no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function healthz(base) {
  const response = await send('GET', `${base}/healthz`);
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
