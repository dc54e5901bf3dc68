import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { freePort } from './ports.js';
import { collectSkippedPackages } from './system-packages.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

/**
 * One real PostgreSQL for the whole run: TEST_DATABASE_URL when given, otherwise an embedded one
 * in a temporary folder. Each test file then works in a database of its own. The run ends with a
 * line for each system package whose tests were skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const skippedDir = await mkdtemp(join(tmpdir(), 'frontdoor-skipped-'));
  const skipped = collectSkippedPackages(skippedDir);
  const reportSkipped = async () => {
    for (const line of skipped()) process.stderr.write(`${line}\n`);
    await rm(skippedDir, { recursive: true, force: true });
  };
  if (process.env.TEST_DATABASE_URL) {
    project.provide('adminDatabaseUrl', process.env.TEST_DATABASE_URL);
    return reportSkipped;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'frontdoor-test-'));
  // PostgreSQL runs as its own user, which must be able to reach its data directory.
  await chmod(dataDir, 0o755);
  const database = await ensureEmbeddedPostgres({ dataDir, port: await freePort() });
  project.provide('adminDatabaseUrl', database.url);
  return async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
    await reportSkipped();
  };
}
