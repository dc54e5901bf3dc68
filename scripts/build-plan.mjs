// What `npm run build` has to redo, from modification times. `npm start`, `npm run cli` and
// `npm run studio` build first; when nothing the build reads changed since the last build, they
// skip it (a whole build costs seconds; this look costs milliseconds).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the build reads besides src/: its settings, the bundler script and the installed packages. */
export const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'scripts/bundle-service.mjs'];

/** Written when each step finishes, dated when it started (an edit made meanwhile still counts as newer). */
export const STAMPS = { compiled: 'dist/.compiled', bundled: 'dist/.bundled' };

/** The newest modification time under `src/` (folders too: a deleted file changes its folder) and of the input files, in ms. */
export function newestInput(root) {
  let newest = 0;
  const visit = (path) => {
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) return;
    newest = Math.max(newest, info.mtimeMs);
    if (info.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(join(root, 'src'));
  for (const file of INPUT_FILES) visit(join(root, file));
  return newest;
}

/** The stamp's time in ms, or 0 when there is none. */
export function stampTime(root, stamp) {
  return statSync(join(root, stamp), { throwIfNoEntry: false })?.mtimeMs ?? 0;
}

/**
 * The steps to run. `ifChanged` skips a step whose output is newer than what it reads; `bundle`
 * false leaves dist/main.js alone (the command lines run tsc's output, not the bundle).
 */
export function buildPlan({ newestInputMs, compiledMs, bundledMs, ifChanged, bundle }) {
  const compile = !ifChanged || compiledMs === 0 || compiledMs < newestInputMs;
  const bundleNow = bundle && (!ifChanged || compile || bundledMs === 0 || bundledMs < compiledMs);
  return { compile, bundle: bundleNow };
}
