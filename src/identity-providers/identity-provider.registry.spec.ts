import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import passport from 'passport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS } from '../access/provider-access.js';
import { DomainException } from '../common/domain.exception.js';
import { IdentityProviderRegistry, type RegistryChange } from './identity-provider.registry.js';
import type { OidcProviderSettings } from './oidc-identity-provider.js';
import { AddressPolicy } from '../common/address-policy.js';
import { ProviderHttp } from './provider-http.js';

/** A discovery document served over real HTTP; nothing else is needed to build a strategy. */
describe('IdentityProviderRegistry', () => {
  let server: Server;
  let issuer: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  // The discovery document is served on loopback, which only an allow list reaches.
  const loopback = new ProviderHttp(new AddressPolicy(['127.0.0.1']));
  const settings = (changes: Partial<OidcProviderSettings> = {}): OidcProviderSettings => ({
    id: 'acme',
    displayName: 'Acme',
    issuer,
    clientId: 'front-door',
    clientSecret: 'secret-one',
    clientAuth: 'client_secret_post',
    scopes: ['openid'],
    matchClaim: 'email',
    emailDomains: [],
    access: DEFAULT_ACCESS,
    source: 'database',
    version: 1,
    callbackUrl: 'http://localhost/auth/callback/acme',
    jwksCooldownMs: 1000,
    ...changes,
  });
  const registered = (name: string) => (passport as unknown as { _strategy(name: string): unknown })._strategy(name);
  const secretOf = (strategy: unknown) => (strategy as { _oauth2: { _clientSecret: string } })._oauth2._clientSecret;

  it('builds the strategy once, and a new one with the new secret after a change; never the stale one', async () => {
    const registry = new IdentityProviderRegistry([], { http: loopback });
    const changes: RegistryChange[] = [];
    registry.onChange((change) => changes.push(change));
    registry.put(settings());
    const first = await registry.strategy(registry.get('acme'));
    expect(await registry.strategy(registry.get('acme'))).toBe(first);
    expect(secretOf(first)).toBe('secret-one');

    registry.put(settings({ version: 1, clientSecret: 'ignored-same-version' }));
    expect(changes).toHaveLength(1);

    registry.put(settings({ version: 2, clientSecret: 'secret-two' }));
    const second = await registry.strategy(registry.get('acme'));
    expect(second).not.toBe(first);
    expect(secretOf(second)).toBe('secret-two');
    expect(secretOf(registered('oidc:acme'))).toBe('secret-two');
    expect(changes.map((change) => change.kind)).toEqual(['put', 'put']);
  });

  it('forgets a removed provider and its strategy', async () => {
    const registry = new IdentityProviderRegistry([], { http: loopback });
    registry.put(settings({ id: 'gone' }));
    await registry.strategy(registry.get('gone'));
    registry.remove('gone');
    expect(registry.find('gone')).toBeUndefined();
    expect(registered('oidc:gone')).toBeUndefined();
    expect(() => registry.get('gone')).toThrow(DomainException);
  });

  it('re-reads a stored provider on refresh, and drops it when the table no longer has it', async () => {
    const registry = new IdentityProviderRegistry([], { http: loopback });
    let stored: OidcProviderSettings | null = settings({ id: 'fresh', version: 1 });
    registry.useLoader(async () => stored);
    registry.put(settings({ id: 'fresh', version: 1 }));
    stored = settings({ id: 'fresh', version: 3, clientSecret: 'rotated' });
    expect((await registry.refresh('fresh')).version).toBe(3);
    stored = null;
    await expect(registry.refresh('fresh')).rejects.toThrow(DomainException);
  });

  it('lists the environment provider first, then stored ones by name', () => {
    const registry = new IdentityProviderRegistry([], { http: loopback });
    registry.put(settings({ id: 'zeta', displayName: 'Zeta' }));
    registry.put(settings({ id: 'default', displayName: 'Corp', source: 'environment', version: 0 }));
    registry.put(settings({ id: 'alpha', displayName: 'Alpha' }));
    expect(registry.all().map((provider) => provider.id)).toEqual(['default', 'alpha', 'zeta']);
  });
});
