import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Held while one test file builds; two builds at once would write the same files in dist/. */
const BUILD_LOCK = join(tmpdir(), `frontdoor-build-${Buffer.from(process.cwd()).toString('base64url')}.lock`);

/** The build `npm start` makes (skipped when dist/ is newer than what it reads), one test file at a time. */
export async function buildService(): Promise<void> {
  await takeLock();
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, ['scripts/build.mjs', '--if-changed'], { timeout: 120_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`build failed: ${stderr || stdout || error.message}`)) : resolve(),
      );
    });
  } finally {
    await rm(BUILD_LOCK, { recursive: true, force: true });
  }
}

async function takeLock(): Promise<void> {
  for (;;) {
    try {
      return await mkdir(BUILD_LOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a run that was killed mid-build.
      const since = await stat(BUILD_LOCK).then((info) => Date.now() - info.mtimeMs, () => 0);
      if (since > 180_000) await rm(BUILD_LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export interface BuiltServiceProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  /** Standard output and error so far. */
  output(): string;
}

/** `node <nodeArgs> dist/main.js` with exactly `env` (and PATH), as `npm start` runs it. */
export function spawnBuiltService(env: Record<string, string>, nodeArgs: string[] = []): BuiltServiceProcess {
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, exited, output: () => output };
}
