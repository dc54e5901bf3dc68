import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('runs with no configuration at all outside production', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl.origin).toBe('http://localhost:3000');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.oidc.issuer).toBeUndefined();
    expect(config.oidc.scopes).toEqual(['openid', 'profile', 'email']);
    expect(config.session.secureCookie).toBe(false);
    expect(config.desktop.handoffTtlSeconds).toBe(600);
  });

  it('reads the break-glass settings: on for 15 minutes by default, false turns it off, bad values refused', () => {
    expect(loadConfig({}).breakGlass).toEqual({ enabled: true, sessionSeconds: 900 });
    expect(loadConfig({ BREAK_GLASS_ENABLED: 'false', BREAK_GLASS_SESSION_SECONDS: '300' }).breakGlass).toEqual({ enabled: false, sessionSeconds: 300 });
    expect(() => loadConfig({ BREAK_GLASS_ENABLED: 'no' })).toThrow('BREAK_GLASS_ENABLED must be true or false');
    expect(() => loadConfig({ BREAK_GLASS_SESSION_SECONDS: '5' })).toThrow('BREAK_GLASS_SESSION_SECONDS must be an integer >= 60');
  });

  it('reads the environment provider\'s trust and role settings, with today\'s meaning by default', () => {
    expect(loadConfig({}).oidc).toMatchObject({ emailDomains: [], access: { trustEmail: false, roleSource: 'platform', roleRules: [], provisioning: 'preregistered' } });
    const config = loadConfig({
      OIDC_TRUST_EMAIL: 'TRUE',
      OIDC_EMAIL_DOMAINS: 'Corp.example, @sub.corp.example',
      OIDC_ROLE_SOURCE: 'provider',
      OIDC_ROLE_RULES: '[{"claim":"realm_access.roles","value":"platform-admin","role":"admin"}]',
      OIDC_PROVISIONING: 'jit',
    });
    expect(config.oidc.emailDomains).toEqual(['corp.example', 'sub.corp.example']);
    expect(config.oidc.access).toEqual({ trustEmail: true, roleSource: 'provider', roleRules: [{ claim: 'realm_access.roles', value: 'platform-admin', role: 'admin' }], provisioning: 'jit' });
  });

  it.each<[Record<string, string>, string]>([
    [{ OIDC_ROLE_RULES: '[{"claim":"groups","value":"x","role":"owner"}' }, 'OIDC_ROLE_RULES must be JSON'],
    [{ OIDC_ROLE_RULES: '[{"claim":"groups","value":"x","role":"owner"}]' }, 'OIDC_ROLE_RULES[0].role must be "admin" or "developer"'],
    [{ OIDC_ROLE_RULES: '{"claim":"groups"}' }, 'OIDC_ROLE_RULES must be an array'],
    [{ OIDC_ROLE_SOURCE: 'idp' }, 'OIDC_ROLE_SOURCE must be "platform" or "provider"'],
    [{ OIDC_PROVISIONING: 'auto' }, 'OIDC_PROVISIONING must be "preregistered" or "jit"'],
    [{ OIDC_PROVISIONING: 'jit' }, 'OIDC_PROVISIONING "jit" needs OIDC_ROLE_SOURCE "provider"'],
    [{ OIDC_TRUST_EMAIL: 'yes' }, 'OIDC_TRUST_EMAIL must be true or false'],
    [{ OIDC_EMAIL_DOMAINS: 'corp.example,not a domain' }, 'OIDC_EMAIL_DOMAINS must be comma-separated domain names'],
  ])('stops start-up on %j with one line naming the variable', (env, problem) => {
    let message = '';
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain(problem);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('stops production start-up with one line naming everything missing', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', OIDC_CLIENT_ID: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    for (const name of ['DATABASE_URL', 'OIDC_ISSUER', 'OIDC_CLIENT_SECRET', 'SESSION_SECRET']) expect(message).toContain(name);
    expect(message).not.toContain('OIDC_CLIENT_ID,');
  });

  it('accepts a complete production configuration with a secure cookie under https', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://idp-door.example.com',
      DATABASE_URL: 'postgres://u:p@db/frontdoor',
      OIDC_ISSUER: 'https://login.example.com/realms/corp',
      OIDC_CLIENT_ID: 'front-door',
      OIDC_CLIENT_SECRET: 'secret',
      SESSION_SECRET: 'a-long-enough-session-secret',
    });
    expect(config.production).toBe(true);
    expect(config.session.secureCookie).toBe(true);
  });

  it('reads OIDC_CLIENT_AUTH: client_secret_post by default, and private_key_jwt needs no OIDC_CLIENT_SECRET in production', () => {
    expect(loadConfig({}).oidc.clientAuth).toBe('client_secret_post');
    expect(loadConfig({ OIDC_CLIENT_AUTH: 'client_secret_basic' }).oidc.clientAuth).toBe('client_secret_basic');
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db/frontdoor',
      OIDC_ISSUER: 'https://login.example.com/realms/corp',
      OIDC_CLIENT_ID: 'front-door',
      SESSION_SECRET: 'a-long-enough-session-secret',
    };
    expect(loadConfig({ ...production, OIDC_CLIENT_AUTH: 'private_key_jwt' }).oidc).toMatchObject({ clientAuth: 'private_key_jwt', clientSecret: '' });
    expect(() => loadConfig({ ...production, OIDC_CLIENT_AUTH: 'client_secret_basic' })).toThrow('needs OIDC_CLIENT_SECRET');
    expect(() => loadConfig({ OIDC_CLIENT_AUTH: 'tls_client_auth' })).toThrow('OIDC_CLIENT_AUTH must be one of client_secret_post, client_secret_basic, private_key_jwt, not "tls_client_auth"');
  });

  it('rotates client assertion keys every 90 days, each published 14 days ahead; the lead must be shorter than the period', () => {
    expect(loadConfig({}).clientAssertion).toEqual({ keyRotationSeconds: 90 * 86400, publishAheadSeconds: 14 * 86400 });
    expect(() => loadConfig({ CLIENT_ASSERTION_KEY_ROTATION_SECONDS: '7200', CLIENT_ASSERTION_KEY_PUBLISH_AHEAD_SECONDS: '7200' })).toThrow('must be shorter than');
  });

  it('reads ALLOW_PRIVATE_PROVIDER_ADDRESSES: loopback by default outside production, nothing in production, replaced when set, a bad value in one line', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y', SESSION_SECRET: 'a-long-enough-session-secret' };
    expect(loadConfig({}).oidc.allowedPrivateAddresses).toEqual(['127.0.0.0/8', '::1/128']);
    expect(loadConfig(production).oidc.allowedPrivateAddresses).toEqual([]);
    expect(loadConfig({ ...production, ALLOW_PRIVATE_PROVIDER_ADDRESSES: '10.0.0.0/8,fd00::/8' }).oidc.allowedPrivateAddresses).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(() => loadConfig({ ALLOW_PRIVATE_PROVIDER_ADDRESSES: '10.0.0.0/40' })).toThrow(/^Invalid configuration: ALLOW_PRIVATE_PROVIDER_ADDRESSES must be comma-separated addresses or CIDR ranges .*"10\.0\.0\.0\/40"$/);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ OIDC_MATCH_CLAIM: 'upn' }, 'OIDC_MATCH_CLAIM'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ SESSION_IDLE_TIMEOUT_SECONDS: '5' }, 'SESSION_IDLE_TIMEOUT_SECONDS'],
    [{ HANDOFF_TTL_SECONDS: '-1' }, 'HANDOFF_TTL_SECONDS'],
  ])('refuses %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('reads protected apps, a parent cookie domain and a list of trusted proxies', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://login.corp.example',
      PROTECTED_APPS: JSON.stringify([{ origin: 'https://reports.corp.example', name: 'Reports', role: 'admin' }, { origin: 'http://localhost:8080/', name: 'Wiki' }]),
      COOKIE_DOMAIN: '.corp.example',
      TRUST_PROXY: '127.0.0.1, 10.0.0.0/8',
    });
    expect(config.forwardAuth.protectedApps).toEqual([
      { origin: 'https://reports.corp.example', name: 'Reports', role: 'admin' },
      { origin: 'http://localhost:8080', name: 'Wiki' },
    ]);
    expect(config.forwardAuth.cookieDomain).toBe('corp.example');
    expect(config.trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it.each([
    [{ PROTECTED_APPS: 'not json' }, 'PROTECTED_APPS'],
    [{ PROTECTED_APPS: '{"origin":"https://a.example"}' }, 'PROTECTED_APPS'],
    [{ PROTECTED_APPS: '[{"origin":"https://a.example/path","name":"A"}]' }, 'PROTECTED_APPS[0].origin'],
    [{ PROTECTED_APPS: '[{"origin":"https://u@a.example","name":"A"}]' }, 'PROTECTED_APPS[0].origin'],
    [{ PROTECTED_APPS: '[{"origin":"ftp://a.example","name":"A"}]' }, 'PROTECTED_APPS[0].origin'],
    [{ PROTECTED_APPS: '[{"origin":"https://a.example"}]' }, 'PROTECTED_APPS[0].name'],
    [{ PROTECTED_APPS: '[{"origin":"https://a.example","name":"A","role":"root"}]' }, 'PROTECTED_APPS[0].role'],
    [{ PUBLIC_URL: 'https://login.corp.example', COOKIE_DOMAIN: 'other.example' }, 'COOKIE_DOMAIN'],
    [{ PUBLIC_URL: 'https://login.corp.example', COOKIE_DOMAIN: 'rp.example' }, 'COOKIE_DOMAIN'],
  ])('refuses forward-auth settings %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name);
  });
});
