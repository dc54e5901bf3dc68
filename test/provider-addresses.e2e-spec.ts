import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityProvidersService } from '../src/identity-providers/identity-providers.service.js';
import { UsersService } from '../src/users/users.service.js';
import { TestBrowser } from './support/browser.js';
import { startRogueOp, type RogueOp } from './support/rogue-op.js';
import { ROGUE_CLIENT, signedInSessions, visitConsole } from './support/rogue-service.js';
import { startTestService, type TestService } from './support/service.js';

/**
 * Server-side requests to the service's own network: a provider document (or an admin) naming a
 * loopback, link-local or private URL is refused unless ALLOW_PRIVATE_PROVIDER_ADDRESSES lists it.
 * The providers here run on 127.0.0.1, which the default outside production allows.
 */
describe('provider URLs that lead to internal addresses', () => {
  const running: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const item of running.splice(0).reverse()) await item.close();
  });

  /** A provider whose document is tampered with before the service first reads it. */
  async function start(tamper: (op: RogueOp) => unknown, env: Record<string, string> = {}): Promise<{ op: RogueOp; env: TestService }> {
    const op = await startRogueOp(ROGUE_CLIENT);
    running.push(op);
    await tamper(op);
    const service = await startTestService({ OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: ROGUE_CLIENT.clientId, OIDC_CLIENT_SECRET: ROGUE_CLIENT.clientSecret, OIDC_HTTP_TIMEOUT_MS: '1500', ...env });
    running.push(service);
    await service.service.app.get(UsersService).create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
    return { op, env: service };
  }

  /**
   * The provider also answering on 127.0.0.2 (it listens on 127.0.0.1): a token request that skipped
   * the address check would reach it there and be counted, instead of failing to connect.
   */
  async function relayOn127002(op: RogueOp): Promise<string> {
    const server = createServer((client) => {
      const upstream = connect(Number(new URL(op.issuer).port), '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', () => resolve()));
    running.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    return `http://127.0.0.2:${(server.address() as { port: number }).port}/token`;
  }

  async function testSteps(env: TestService): Promise<{ step: string; code: string; message: string }[]> {
    return (await env.service.app.get(IdentityProvidersService).test('default')).steps;
  }

  it('refuses a link-local jwks_uri (cloud metadata): address_not_allowed in the Test, not ready, and a readable 502 at sign-in', async () => {
    const { op, env } = await start((op) => (op.documentOverrides = { jwks_uri: 'http://169.254.169.254/latest/meta-data/jwks' }));
    const steps = await testSteps(env);
    expect(steps.map((step) => step.code)).toEqual(['discovery_ok', 'issuer_ok', 'endpoints_ok', 'address_not_allowed', 'skipped']);
    expect(steps[3].message).toContain('169.254.169.254');
    expect(steps[3].message).toContain('a link-local address');
    expect(steps[3].message).toContain('ALLOW_PRIVATE_PROVIDER_ADDRESSES');
    const ready = await fetch(`${env.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).reason).toContain('jwks address_not_allowed');

    const page = await visitConsole(env);
    expect(page.status).toBe(502);
    expect(page.body).toContain('could not be reached for its signing keys (JWKS)');
    expect(op.jwksRequests).toBe(0);
    expect(await signedInSessions(env)).toBe(0);
  });

  it('refuses a loopback address the allow list does not name, once ALLOW_PRIVATE_PROVIDER_ADDRESSES replaces the default', async () => {
    let port = '';
    const { op, env } = await start(
      (op) => {
        port = new URL(op.issuer).port;
        op.documentOverrides = { jwks_uri: `http://127.0.0.2:${port}/jwks` };
      },
      { ALLOW_PRIVATE_PROVIDER_ADDRESSES: '127.0.0.1' },
    );
    const steps = await testSteps(env);
    expect(steps[0].code).toBe('discovery_ok');
    expect(steps[3]).toMatchObject({ step: 'jwks', code: 'address_not_allowed' });
    expect(steps[3].message).toContain(`127.0.0.2 resolves to 127.0.0.2, a loopback address`);
    expect(op.jwksRequests).toBe(0);
  });

  it('refuses a token endpoint on an address the list does not name: nothing is posted there, the sign-in is a readable 502', async () => {
    const { op, env } = await start(
      async (op) => void (op.documentOverrides = { token_endpoint: await relayOn127002(op) }),
      { ALLOW_PRIVATE_PROVIDER_ADDRESSES: '127.0.0.1' },
    );
    const steps = await testSteps(env);
    expect(steps[4]).toMatchObject({ step: 'client', code: 'address_not_allowed' });
    const page = await visitConsole(env);
    expect(page.status).toBe(502);
    expect(page.body).toContain('could not be reached for the token request');
    expect(op.tokenRequests).toBe(0);
    expect(await signedInSessions(env)).toBe(0);
  });

  it("refuses that token endpoint to a private_key_jwt client too: its signed code exchange and the Test's client step take the same check", async () => {
    const { op, env } = await start(
      async (op) => void (op.documentOverrides = { token_endpoint: await relayOn127002(op) }),
      { ALLOW_PRIVATE_PROVIDER_ADDRESSES: '127.0.0.1', OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_SECRET: '' },
    );
    const steps = await testSteps(env);
    expect(steps[4]).toMatchObject({ step: 'client', code: 'address_not_allowed' });
    const page = await visitConsole(env);
    expect(page.status).toBe(502);
    expect(page.body).toContain('could not be reached for the token request');
    expect(op.tokenRequests).toBe(0);
    expect(await signedInSessions(env)).toBe(0);
  });

  it('refuses the whole provider when only other ranges are listed: the issuer itself is on loopback', async () => {
    const { env } = await start(() => undefined, { ALLOW_PRIVATE_PROVIDER_ADDRESSES: '10.0.0.0/8' });
    const steps = await testSteps(env);
    expect(steps.map((step) => step.code)).toEqual(['address_not_allowed', 'skipped', 'skipped', 'skipped', 'skipped']);
    const page = await visitConsole(env);
    expect(page.status).toBe(503);
    expect(page.body).toContain('cannot be used right now');
  });

  it('never follows a discovery redirect to another origin at sign-in (the Test reports it, follows nothing)', async () => {
    const elsewhere = await startRogueOp(ROGUE_CLIENT);
    running.push(elsewhere);
    const { op, env } = await start((op) => (op.discoveryRedirect = `${elsewhere.issuer}/.well-known/openid-configuration`));
    expect((await testSteps(env))[0].code).toBe('discovery_redirect');
    const page = await visitConsole(env, new TestBrowser());
    expect(page.status).toBe(503);
    expect(page.body).toContain('cannot be used right now');
    expect(op.discoveryRequests).toBeGreaterThan(0);
    expect(elsewhere.discoveryRequests).toBe(0);
  });
});
