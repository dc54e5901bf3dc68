import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, spawnBuiltService, type BuiltServiceProcess } from './support/built-service.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { freePort } from './support/ports.js';

async function waitUntilHealthy(url: string, service: BuiltServiceProcess): Promise<void> {
  const end = Date.now() + 30_000;
  while ((await fetch(`${url}/healthz`).then((response) => response.status, () => 0)) !== 200) {
    if (service.child.exitCode !== null || Date.now() > end) throw new Error(`the first service did not start:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `npm start` as a newcomer runs it: the built service with the development identity provider. */
describe('the built service started twice', () => {
  let db: TestDatabase;
  let first: BuiltServiceProcess | undefined;
  let env: Record<string, string>;
  let url: string;

  beforeAll(async () => {
    await buildService();
    db = await createTestDatabase();
    const port = await freePort();
    url = `http://localhost:${port}`;
    env = { PORT: String(port), DEV_IDP_PORT: String(await freePort()), DATABASE_URL: db.url, SESSION_SECRET: 'test-session-secret-0123456789' };
    first = spawnBuiltService(env);
    await waitUntilHealthy(url, first);
  }, 150_000);
  afterAll(async () => {
    first?.child.kill('SIGTERM');
    await first?.exited;
    await db?.drop();
  }, 30_000);

  it('shows the banner after a few lines, not a line per module and route', async () => {
    const output = first!.output();
    const beforeBanner = output.slice(0, output.indexOf('Identity front door is ready')).split('\n').filter(Boolean);
    expect(output).toContain(`Identity front door is ready on ${url}`);
    expect(beforeBanner.join('\n')).not.toMatch(/InstanceLoader|RouterExplorer|RoutesResolver/);
    expect(beforeBanner.length, beforeBanner.join('\n')).toBeLessThanOrEqual(3);
  });

  it('stops the second start with one line saying the service already runs at its URL, and leaves the first running', async () => {
    const second = spawnBuiltService(env);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    // Node 20 also gets oidc-provider's line about its runtime; nothing else is said.
    const lines = second.output().split('\n').filter((line) => line && !line.startsWith('oidc-provider WARNING: Unsupported runtime'));
    expect(lines).toEqual([
      `The identity front door is already running at ${url} (port ${env.PORT}): use that one, or stop it first. To run another instance beside it, set PORT and DEV_IDP_PORT to free ports.`,
    ]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 30_000);
});
