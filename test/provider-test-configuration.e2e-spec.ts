import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { startService, type RunningService } from '../src/bootstrap.js';
import { TestBrowser } from './support/browser.js';
import { freePort } from './support/ports.js';
import { startRogueOp, type RogueOp } from './support/rogue-op.js';
import { ROGUE_CLIENT } from './support/rogue-service.js';
import { ADMIN, startTestService, TEST_ENCRYPTION_KEY, type TestService } from './support/service.js';

const PASSWORD = 'break-glass-password-0123';

async function cli(env: TestService, argv: string[], input = ''): Promise<string[]> {
  const out: string[] = [];
  expect(await runCli(argv, { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => {}, readInput: async () => input })).toBe(0);
  return out;
}

/**
 * A Test result belongs to the configuration it tested. The environment's provider passes its Test;
 * then the service restarts with another OIDC_ISSUER, whose discovery document names another issuer
 * (sign-in is down): the old "passed" must not be shown as this configuration's, and readiness
 * says what the current configuration does.
 */
describe('a Test result after the environment provider changed', () => {
  let env: TestService;
  let op: RogueOp;
  let restarted: { service: RunningService; url: string } | undefined;
  let adminToken: string;

  beforeAll(async () => {
    env = await startTestService();
    adminToken = (await cli(env, ['tokens', 'create', '--email', ADMIN.email]))[0];
    await cli(env, ['users', 'set-password', '--email', ADMIN.email], `${PASSWORD}\n`);
    op = await startRogueOp({ ...ROGUE_CLIENT, discoveryIssuer: 'https://elsewhere.example.com' });
  });
  afterAll(async () => {
    await restarted?.service.close();
    await op?.close();
    // The first service was stopped by the restart below.
    if (restarted) await env?.db.drop();
    else await env?.close();
  });

  function provider(url: string): Promise<{ lastTest?: { ok: boolean; currentConfiguration: boolean } }> {
    return fetch(`${url}/api/admin/identity-providers/default`, { headers: { authorization: `Bearer ${adminToken}` } }).then((response) => response.json());
  }

  it('reads as tested with this configuration right after its Test', async () => {
    const tested = await fetch(`${env.url}/api/admin/identity-providers/default/test`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    expect((await tested.json()).ok).toBe(true);
    expect((await provider(env.url)).lastTest).toMatchObject({ ok: true, currentConfiguration: true });
    const [row] = await env.db.query<{ config_fingerprint: string }>(`SELECT config_fingerprint FROM identity_provider_tests WHERE provider_id = 'default'`);
    expect(row.config_fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads "not tested with this configuration" after a restart with another issuer, and readiness fails with the current one', async () => {
    await env.service.close();
    const port = await freePort();
    restarted = {
      url: `http://localhost:${port}`,
      service: await startService({
        PORT: String(port),
        PUBLIC_URL: `http://localhost:${port}`,
        DATABASE_URL: env.db.url,
        OIDC_ISSUER: op.issuer,
        OIDC_CLIENT_ID: ROGUE_CLIENT.clientId,
        OIDC_CLIENT_SECRET: ROGUE_CLIENT.clientSecret,
        SESSION_SECRET: 'test-session-secret-0123456789',
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        LOG_LEVEL: 'error',
      }),
    };
    expect((await provider(restarted.url)).lastTest).toMatchObject({ ok: true, currentConfiguration: false });

    const ready = await fetch(`${restarted.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('issuer');
    const environment = await (await fetch(`${restarted.url}/api/desktop/environment`)).json();
    expect(environment.authentication.ready).toBe(false);

    // Sign-in through the provider is down: an admin reaches LifeTime with the break-glass password.
    const browser = new TestBrowser();
    const form = await browser.open(`${restarted.url}/auth/break-glass`);
    const lifetime = await browser.submit(form, { email: ADMIN.email, password: PASSWORD });
    expect(new URL(lifetime.url).pathname).toBe('/lifetime');
    const list = await browser.open(`${restarted.url}/lifetime/authentication`);
    expect(list.body).toContain('not tested with this configuration');
    expect(list.body).not.toContain('>passed<');
    const page = await browser.open(`${restarted.url}/lifetime/authentication/default`);
    expect(page.body).toContain('Not tested with this configuration.');
    expect(page.body).not.toContain('id="test-steps"');
  });
});
