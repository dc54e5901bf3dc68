import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports handed to one test worker: a band of its own, so parallel workers never pick the same one. */
const BAND = 400;
const MAX_WORKERS = 16;

/**
 * The first port of the bands: just below the kernel's ephemeral range, where `listen(0)` (the
 * development provider, test servers) and every outgoing connection take their ports. A port picked
 * there could be taken by one of those between the pick and the server that was to use it.
 */
function bandsStart(): number {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // Not Linux: the common default.
  }
  return Math.max(1024, ephemeralLow - BAND * MAX_WORKERS);
}

const worker = (Number(process.env.VITEST_POOL_ID) || 1) - 1;
const first = bandsStart() + (worker % MAX_WORKERS) * BAND;
let cursor = Math.floor(Math.random() * BAND);

/**
 * A port that was free a moment ago, for servers whose URL must be known before they start. Taken
 * in turn from this worker's band, so it is not handed out again soon, nor to another worker.
 */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < BAND; tried++) {
    const port = first + (cursor++ % BAND);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${first}-${first + BAND - 1}`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
