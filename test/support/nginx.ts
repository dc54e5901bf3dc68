import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild, waitForPort } from './child-process.js';
import { NGINX, systemPackagePath } from './system-packages.js';

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
export async function startNginx(options: { servers: ProtectedServer[]; frontdoorAddress: string }): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'frontdoor-nginx-'));
  const servers = options.servers
    .map((server) => {
      const snippet = FORWARD_AUTH_SNIPPET.replaceAll('FRONTDOOR_ADDRESS', options.frontdoorAddress)
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
  const child = spawn(systemPackagePath(NGINX), ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await Promise.all(options.servers.map((server) => waitForPort(server.port, child, 'nginx', () => stderr)));
  } catch (error) {
    await stopChild(child, 'SIGQUIT');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    errorLog: () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
    close: async () => {
      await stopChild(child, 'SIGQUIT');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
