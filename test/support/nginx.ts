import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** The server-level snippet the README shows, verbatim; the test fills in its four addresses. */
export const FORWARD_AUTH_SNIPPET = readFileSync(new URL('./nginx-forward-auth.conf', import.meta.url), 'utf8');

export interface ProtectedServer {
  /** Loopback port nginx listens on for this app. */
  port: number;
  /** `host:port` of the app behind it. */
  appAddress: string;
  /** The origin browsers use for the app, as listed in PROTECTED_APPS. */
  appOrigin: string;
}

export interface RunningNginx {
  close(): Promise<void>;
  errorLog(): Promise<string>;
}

/**
 * Debian's nginx as a child process: its own prefix, pid, logs and temp paths in a temp folder (no
 * root-owned path), one `server` per protected app, each with the README's forward-auth snippet.
 */
export async function startNginx(options: { servers: ProtectedServer[]; frontdoorAddress: string; frontdoorUrl: string }): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'frontdoor-nginx-'));
  const servers = options.servers
    .map((server) => {
      const snippet = FORWARD_AUTH_SNIPPET.replaceAll('FRONTDOOR_ADDRESS', options.frontdoorAddress)
        .replaceAll('FRONTDOOR_URL', options.frontdoorUrl)
        .replaceAll('APP_ADDRESS', server.appAddress)
        .replaceAll('APP_ORIGIN', server.appOrigin);
      return `server {\n  listen 127.0.0.1:${server.port};\n  server_name localhost;\n${snippet}\n}`;
    })
    .join('\n');
  const config = `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers}
}
`;
  await writeFile(join(dir, 'nginx.conf'), config);
  const child = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await Promise.all(options.servers.map((server) => waitForPort(server.port, child, () => stderr)));
  } catch (error) {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    errorLog: () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
    close: async () => {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A tiny app behind the proxy: answers every request with the headers it received, as JSON. */
export async function startEchoApp(): Promise<{ address: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, headers: req.headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port} within 10 s: ${stderr()}`);
}

/** SIGQUIT lets nginx finish gracefully; SIGKILL after 5 s keeps the test bounded. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGQUIT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
