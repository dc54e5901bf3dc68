import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { ensureEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { freePort } from './ports.js';

/**
 * Real processes a test can freeze (SIGSTOP), thaw (SIGCONT), kill and start again: a PostgreSQL
 * cluster of its own and an OpenID Provider in a child process.
 */

/**
 * The direct children of a process (PostgreSQL's backends and workers are children of the
 * postmaster), from the parent pid in each /proc/<pid>/stat: no procps needed.
 */
export async function childPids(pid: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const parents = await Promise.all(
    pids.map(async (candidate) => {
      const stat = await readFile(`/proc/${candidate}/stat`, 'utf8').catch(() => '');
      // After the command name (which may hold spaces and parentheses): state, then the parent pid.
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    }),
  );
  return pids.filter((_, index) => parents[index] === pid).map(Number);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to freeze or thaw.
  }
}

export interface FrozenCluster {
  url: string;
  port: number;
  /** SIGSTOP to the postmaster first (so it starts no new backend), then to every child it has. */
  freeze(): Promise<number[]>;
  /** SIGCONT to every process of the cluster, children first. */
  thaw(): Promise<void>;
  /** Thaws, stops the cluster and removes its folder. */
  close(): Promise<void>;
}

/** A throwaway embedded PostgreSQL on a free port in a temporary folder. */
export async function startThrowawayCluster(): Promise<FrozenCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'frontdoor-frozen-pg-'));
  // PostgreSQL runs as its own user, which must be able to reach its data directory.
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const database = await ensureEmbeddedPostgres({ dataDir, port });
  const postmaster = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const frozen = new Set<number>();
  const thaw = async () => {
    for (const pid of [...(await childPids(postmaster)), ...frozen].reverse()) signal(pid, 'SIGCONT');
    signal(postmaster, 'SIGCONT');
    frozen.clear();
  };
  return {
    url: database.url,
    port,
    freeze: async () => {
      signal(postmaster, 'SIGSTOP');
      frozen.add(postmaster);
      for (const pid of await childPids(postmaster)) {
        signal(pid, 'SIGSTOP');
        frozen.add(pid);
      }
      // A signal is delivered when its process next runs: on a busy machine a backend may still
      // show R for a moment. Frozen means stopped, so wait for it (bounded).
      const until = Date.now() + 2_000;
      while ((await Promise.all([...frozen].map(processState))).some((state) => state !== undefined && state !== 'T') && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return [...frozen];
    },
    thaw,
    close: async () => {
      await thaw();
      await database.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `T` (stopped) in /proc/<pid>/stat, or undefined once the process is gone. */
export async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

export interface ChildOpOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** The email of its one account. */
  account: string;
}

export interface ChildOp {
  issuer: string;
  port: number;
  pid: number;
  freeze(): void;
  thaw(): void;
  /** Kills the process (SIGKILL) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with the same keys and client. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const CHILD_OP = new URL('./child-op.mjs', import.meta.url).pathname;

/** oidc-provider in a child process (test/support/child-op.mjs), on a free loopback port. */
export async function startChildOp(options: ChildOpOptions): Promise<ChildOp> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = JSON.stringify([{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'child-op-rs256' }]);
  let child: ChildProcess | undefined;
  let port = 0;
  let issuer = '';

  const launch = async () => {
    const started = spawn(process.execPath, [CHILD_OP], {
      env: {
        PATH: process.env.PATH,
        OP_PORT: String(port),
        OP_CLIENT_ID: options.clientId,
        OP_CLIENT_SECRET: options.clientSecret,
        OP_REDIRECT_URI: options.redirectUri,
        OP_ACCOUNT: options.account,
        OP_JWKS: jwks,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let stderr = '';
    started.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the provider did not start within 10 s: ${stderr}`)), 10_000);
      started.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.slice(0, out.indexOf('\n')));
        }
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the provider exited with ${code}: ${stderr}`));
      });
    });
    issuer = (JSON.parse(line) as { issuer: string }).issuer;
    port = Number(new URL(issuer).port);
  };

  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGCONT');
    running.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    get issuer() {
      return issuer;
    },
    get port() {
      return port;
    },
    get pid() {
      return child!.pid!;
    },
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    kill,
    restart: launch,
    close: kill,
  };
}

/**
 * Connections to a local server whose request it has not read yet (bytes waiting in its receive
 * queue), by the server's port, from /proc/net/tcp. A client that gave up and closed its socket
 * leaves none behind: its connection is no longer ESTABLISHED on the server's side.
 */
export async function unreadConnections(port: number): Promise<number> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(([, local, , state, queues]) => local?.endsWith(`:${hexPort}`) && state === '01' && parseInt(queues.split(':')[1], 16) > 0).length;
}
