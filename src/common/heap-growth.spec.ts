import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { limitHeapGrowth } from './heap-growth.js';

/**
 * The peak of a fresh heap (a worker's) that keeps a live set while short-lived objects survive
 * young collections, as requests in flight do, and are promoted and dropped.
 */
const CHURN = `
  const { getHeapStatistics } = require('node:v8');
  const { parentPort } = require('node:worker_threads');
  const live = Array.from({ length: 150000 }, (_, i) => ({ i, text: 'kept ' + i, list: [i, i + 1] }));
  const inFlight = new Array(50000);
  let peak = 0;
  for (let i = 0; i < 1500000; i++) {
    inFlight[i % inFlight.length] = { i, text: 'request ' + i, list: [i] };
    if (i % 10000 === 0) peak = Math.max(peak, getHeapStatistics().used_heap_size);
  }
  parentPort.postMessage({ peakMb: peak / 1048576, live: live.length });
`;

function peakHeapMb(): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CHURN, { eval: true });
    worker.once('message', ({ peakMb }: { peakMb: number }) => resolve(peakMb));
    worker.once('error', reject);
  });
}

describe('limitHeapGrowth', () => {
  afterAll(() => setFlagsFromString('--heap-growing-percent=0'));

  it('leaves a --heap-growing-percent given on the command line alone', () => {
    expect(limitHeapGrowth(['--enable-source-maps', '--heap-growing-percent=80'])).toBe(false);
  });

  // Node 20's V8 lets this heap (about 35 MB live) reach 165-175 MB by default; limited, it peaks near
  // 90 MB. The V8 of Node 22 and 24 already keeps it near 50 and 95 MB without the limit, so the bound
  // is absolute: the heap stays under 140 MB on every supported Node.
  it('keeps the heap well below what V8 grows it to by default under promoted garbage', async () => {
    expect(limitHeapGrowth([])).toBe(true);
    expect(await peakHeapMb()).toBeLessThan(140);
  }, 20_000);
});
