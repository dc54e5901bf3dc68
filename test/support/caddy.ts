import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild, waitForPort } from './child-process.js';
import { CADDY, systemPackagePath } from './system-packages.js';

/** The site block the README shows, verbatim; the test fills in its five addresses. */
export const CADDY_FORWARD_AUTH_SNIPPET = readFileSync(new URL('./caddy-forward-auth.Caddyfile', import.meta.url), 'utf8');

export interface CaddySite {
  /** Loopback port Caddy listens on for this app. */
  port: number;
  /** `host:port` of the app behind it. */
  appAddress: string;
  /** The origin browsers use for the app, as listed in PROTECTED_APPS (`http://localhost:<port>`). */
  appOrigin: string;
}

export interface RunningCaddy {
  close(): Promise<void>;
  log(): string;
}

/**
 * Debian's caddy as a child process: admin endpoint off, no automatic HTTPS (the sites are plain
 * `http://` addresses on loopback ports), and its home, config and data folders in a temp folder.
 */
export async function startCaddy(options: { sites: CaddySite[]; frontdoorAddress: string }): Promise<RunningCaddy> {
  const dir = await mkdtemp(join(tmpdir(), 'frontdoor-caddy-'));
  const sites = options.sites.map((site) =>
    CADDY_FORWARD_AUTH_SNIPPET.replaceAll('FRONTDOOR_ADDRESS', options.frontdoorAddress)
      .replaceAll('APP_ADDRESS', site.appAddress)
      .replaceAll('APP_ORIGIN', site.appOrigin)
      .replaceAll('APP_HOST', new URL(site.appOrigin).host),
  );
  const config = `{
	admin off
	auto_https off
	default_bind 127.0.0.1
	storage file_system ${join(dir, 'storage')}
}

${sites.join('\n')}`;
  const file = join(dir, 'Caddyfile');
  await writeFile(file, config);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  const child = spawn(systemPackagePath(CADDY), ['run', '--config', file, '--adapter', 'caddyfile'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await Promise.all(options.sites.map((site) => waitForPort(site.port, child, 'caddy', () => stderr)));
  } catch (error) {
    await stopChild(child, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    log: () => stderr,
    close: async () => {
      await stopChild(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
