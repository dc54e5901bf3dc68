// `npm run build`: tsc into dist/, then the service's bundle (scripts/bundle-service.mjs).
//   --if-changed  skip each step whose output is newer than what it reads (npm start, cli, studio)
//   --no-bundle   compile only: the command lines run tsc's output, not dist/main.js
import { spawnSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan, newestInput, STAMPS, stampTime } from './build-plan.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const plan = buildPlan({
  newestInputMs: newestInput(root),
  compiledMs: stampTime(root, STAMPS.compiled),
  bundledMs: stampTime(root, STAMPS.bundled),
  ifChanged: args.has('--if-changed'),
  bundle: !args.has('--no-bundle'),
});

function step(stamp, command) {
  const startedAt = new Date();
  const { status } = spawnSync(process.execPath, command, { cwd: root, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, stamp), '');
  utimesSync(join(root, stamp), startedAt, startedAt);
}

if (plan.compile) {
  step(STAMPS.compiled, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo']);
}
if (plan.bundle) step(STAMPS.bundled, [join(root, 'scripts/bundle-service.mjs')]);
