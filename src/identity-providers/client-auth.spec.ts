import { describe, expect, it } from 'vitest';
import { basicAuthorization, CLIENT_ASSERTION_TYPE, clientSecretProblem, tokenRequestAuth, type ClientAuthMethod } from './client-auth.js';

const decodeBasic = (header: string) => Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');

describe('basicAuthorization (RFC 6749 §2.3.1)', () => {
  it.each([
    ['plain', 'front-door', 'secret', 'front-door:secret'],
    ['reserved characters', 'front-door', 'a+b/c=d%e f:g', 'front-door:a%2Bb%2Fc%3Dd%25e+f%3Ag'],
    ['a colon in the id', 'app:one', 's', 'app%3Aone:s'],
    ['non-ASCII', 'clïent', 'sécret~*', 'cl%C3%AFent:s%C3%A9cret%7E*'],
  ])('form-encodes id and secret before Base64: %s', (_label, id, secret, joined) => {
    expect(decodeBasic(basicAuthorization(id, secret))).toBe(joined);
  });

  it('round-trips as a provider decodes it (form-decode each half after the first colon)', () => {
    const [id, secret] = decodeBasic(basicAuthorization('id:x', 'a+b/c=d%e f:g')).split(':').map((part) => decodeURIComponent(part.replace(/\+/g, '%20')));
    expect([id, secret]).toEqual(['id:x', 'a+b/c=d%e f:g']);
  });
});

describe('clientSecretProblem', () => {
  it.each([
    ['client_secret_post', { given: true, stored: false }, undefined],
    ['client_secret_post', { given: false, stored: true }, undefined],
    ['client_secret_post', { given: false, stored: false }, /client_secret_post needs a clientSecret/],
    ['client_secret_basic', { given: false, stored: false }, /client_secret_basic needs a clientSecret/],
    ['private_key_jwt', { given: false, stored: false }, undefined],
    ['private_key_jwt', { given: false, stored: true }, undefined],
    ['private_key_jwt', { given: true, stored: false }, /uses no client secret/],
  ] as [ClientAuthMethod, { given: boolean; stored: boolean }, RegExp | undefined][])('%s with %o', (method, secret, problem) => {
    const found = clientSecretProblem(method, secret);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});

describe('tokenRequestAuth', () => {
  const signer = { sign: async (input: { clientId: string; audience: string; key?: string }) => `${input.key}-assertion-for-${input.clientId}-at-${input.audience}` };
  const base = { clientId: 'fd', clientSecret: 's3cret', tokenEndpoint: 'https://idp.example/token', signer };

  it('client_secret_post: id and secret in the body, no header', async () => {
    expect(await tokenRequestAuth({ ...base, method: 'client_secret_post' })).toEqual({ headers: {}, params: { client_id: 'fd', client_secret: 's3cret' } });
  });

  it('client_secret_basic: the Basic header only, the secret never in the body', async () => {
    const auth = await tokenRequestAuth({ ...base, method: 'client_secret_basic' });
    expect(auth.params).toEqual({});
    expect(decodeBasic(auth.headers.authorization)).toBe('fd:s3cret');
  });

  it('private_key_jwt: an assertion for the token endpoint, no secret anywhere', async () => {
    const auth = await tokenRequestAuth({ ...base, method: 'private_key_jwt' });
    expect(auth).toEqual({ headers: {}, params: { client_id: 'fd', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'current-assertion-for-fd-at-https://idp.example/token' } });
    expect((await tokenRequestAuth({ ...base, method: 'private_key_jwt', assertionKey: 'next' })).params.client_assertion).toBe('next-assertion-for-fd-at-https://idp.example/token');
  });

  it('refuses to run a method without what it needs', async () => {
    await expect(tokenRequestAuth({ ...base, clientSecret: undefined, method: 'client_secret_post' })).rejects.toThrow(/no client secret/);
    await expect(tokenRequestAuth({ ...base, clientSecret: '', method: 'client_secret_basic' })).rejects.toThrow(/no client secret/);
    await expect(tokenRequestAuth({ ...base, signer: undefined, method: 'private_key_jwt' })).rejects.toThrow(/no client assertion key/);
  });
});
