import { describe, expect, it } from 'vitest';
import { providerFingerprint, type FingerprintedSettings } from './provider-fingerprint.js';

const BASE: FingerprintedSettings = {
  issuer: 'https://idp.example.com',
  clientId: 'front-door',
  clientSecret: 'secret-one',
  callbackUrl: 'https://front.example.com/auth/callback/default',
  scopes: ['openid', 'profile', 'email'],
};

describe('providerFingerprint', () => {
  const changed: [string, Partial<FingerprintedSettings>][] = [
    ['another issuer', { issuer: 'https://other.example.com' }],
    ['another client id', { clientId: 'front-door-2' }],
    ['another secret', { clientSecret: 'secret-two' }],
    ['no secret', { clientSecret: undefined }],
    ['another redirect URI', { callbackUrl: 'https://front.example.com/auth/callback/other' }],
    ['other scopes', { scopes: ['openid'] }],
    ['another client authentication', { clientAuth: 'client_secret_basic' }],
    ['private_key_jwt in place of the secret', { clientAuth: 'private_key_jwt', clientSecret: undefined }],
  ];
  it.each(changed)('changes with %s', (_name, change) => {
    expect(providerFingerprint({ ...BASE, ...change })).not.toBe(providerFingerprint(BASE));
  });

  it('is the same for the same configuration, whatever the order of the scopes', () => {
    expect(providerFingerprint({ ...BASE, scopes: ['email', 'openid', 'profile'] })).toBe(providerFingerprint(BASE));
  });

  it('is the same for client_secret_post named or not (results from before clientAuth still count)', () => {
    expect(providerFingerprint({ ...BASE, clientAuth: 'client_secret_post' })).toBe(providerFingerprint(BASE));
  });

  it('never contains the secret', () => {
    expect(providerFingerprint(BASE)).toMatch(/^[0-9a-f]{64}$/);
    expect(providerFingerprint(BASE)).not.toContain('secret-one');
  });
});
