import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRogueOp, type RogueMode, type RogueOp } from './support/rogue-op.js';

const CLIENT_ID = 'rp-under-test';
const CLIENT_SECRET = 'rp-under-test-secret-0123456789abcdef';
// Never contacted: redirects are read from the Location header, not followed.
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';

interface Pkce {
  verifier: string;
  challenge: string;
}

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  id_token: string;
}

function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(op: RogueOp, params: Record<string, string> = {}): Promise<URL> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    state: 'state-1',
    nonce: 'nonce-1',
    ...params,
  });
  const response = await fetch(`${op.issuer}/authorize?${query}`, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '');
}

async function authorizeWithPkce(op: RogueOp): Promise<{ code: string; pkce: Pkce }> {
  const pkce = createPkce();
  const callback = await authorize(op, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  return { code: callback.searchParams.get('code') ?? '', pkce };
}

function requestToken(op: RogueOp, code: string, verifier: string, secret = CLIENT_SECRET): Promise<Response> {
  return fetch(`${op.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
}

async function loginAs(op: RogueOp, mode: RogueMode): Promise<TokenResponse> {
  op.mode = mode;
  const { code, pkce } = await authorizeWithPkce(op);
  const response = await requestToken(op, code, pkce.verifier);
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

function verifyAgainstJwks(op: RogueOp, idToken: string) {
  return jwtVerify(idToken, createRemoteJWKSet(new URL(`${op.issuer}/jwks`)), { issuer: op.issuer, audience: CLIENT_ID });
}

describe('rogue OpenID Provider', () => {
  let op: RogueOp;

  beforeAll(async () => {
    op = await startRogueOp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  });

  afterAll(async () => {
    await op.close();
  });

  beforeEach(() => {
    op.mode = 'good-rs256';
  });

  it('serves a discovery document pointing at its own endpoints', async () => {
    const response = await fetch(`${op.issuer}/.well-known/openid-configuration`);
    const document = (await response.json()) as Record<string, unknown>;

    expect(op.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(document).toMatchObject({
      issuer: op.issuer,
      authorization_endpoint: `${op.issuer}/authorize`,
      token_endpoint: `${op.issuer}/token`,
      userinfo_endpoint: `${op.issuer}/userinfo`,
      jwks_uri: `${op.issuer}/jwks`,
      end_session_endpoint: `${op.issuer}/logout`,
      response_types_supported: ['code'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
    });
  });

  it('can advertise a foreign issuer and omit PKCE and end-session support', async () => {
    const other = await startRogueOp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      pkce: false,
      endSession: false,
      discoveryIssuer: 'https://not-this-op.example',
    });
    try {
      const document = (await (await fetch(`${other.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(document.issuer).toBe('https://not-this-op.example');
      expect(document).not.toHaveProperty('code_challenge_methods_supported');
      expect(document).not.toHaveProperty('end_session_endpoint');
    } finally {
      await other.close();
    }
  });

  it('completes an authorization code round trip with PKCE S256 and a verifiable RS256 ID token', async () => {
    const { code, pkce } = await authorizeWithPkce(op);
    expect(op.lastAuthorizationRequest?.get('code_challenge')).toBe(pkce.challenge);

    const response = await requestToken(op, code, pkce.verifier);
    const tokens = (await response.json()) as TokenResponse;
    expect(response.status).toBe(200);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    expect(op.lastTokenRequest?.get('code_verifier')).toBe(pkce.verifier);

    const { payload, protectedHeader } = await verifyAgainstJwks(op, tokens.id_token);
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({ sub: 'rogue-sub-1', email: 'rogue@example.com', email_verified: true, nonce: 'nonce-1' });
    expect(payload).not.toHaveProperty('azp');
  });

  it('returns the code with the original state', async () => {
    const callback = await authorize(op, { state: 'opaque state/with+chars' });
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe('opaque state/with+chars');
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('signs with the ES256 key in good-es256 mode', async () => {
    const tokens = await loginAs(op, 'good-es256');
    const { protectedHeader } = await verifyAgainstJwks(op, tokens.id_token);
    expect(protectedHeader.alg).toBe('ES256');
  });

  it('serves userinfo for its access tokens, with a different sub in userinfo-bad-sub mode', async () => {
    const good = await loginAs(op, 'good-rs256');
    const bad = await loginAs(op, 'userinfo-bad-sub');
    const userinfo = async (token: string) =>
      (await (await fetch(`${op.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } })).json()) as JWTPayload;

    expect(await userinfo(good.access_token)).toMatchObject({ sub: 'rogue-sub-1', preferred_username: 'rogue' });
    expect(decodeJwt(bad.id_token).sub).toBe('rogue-sub-1');
    expect((await userinfo(bad.access_token)).sub).not.toBe('rogue-sub-1');
    expect((await fetch(`${op.issuer}/userinfo`, { headers: { authorization: 'Bearer forged' } })).status).toBe(401);
  });

  it('rejects a replayed authorization code with invalid_grant', async () => {
    const { code, pkce } = await authorizeWithPkce(op);
    expect((await requestToken(op, code, pkce.verifier)).status).toBe(200);

    const replay = await requestToken(op, code, pkce.verifier);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: 'invalid_grant' });
  });

  it('rejects a wrong PKCE code_verifier with invalid_grant', async () => {
    const { code } = await authorizeWithPkce(op);
    const response = await requestToken(op, code, createPkce().verifier);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant' });
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const { code, pkce } = await authorizeWithPkce(op);
    const response = await requestToken(op, code, pkce.verifier, 'not-the-secret');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
  });

  it('accepts client_secret_post and counts token requests', async () => {
    const before = op.tokenRequests;
    const { code, pkce } = await authorizeWithPkce(op);
    const response = await fetch(`${op.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: pkce.verifier,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }),
    });
    expect(response.status).toBe(200);
    expect(op.tokenRequests).toBe(before + 1);
  });

  it.each([
    ['deny', { error: 'access_denied', error_description: 'The user denied' }],
    ['server-error', { error: 'server_error' }],
  ] as const)('redirects %s mode with a provider error and the state', async (mode, expected) => {
    op.mode = mode;
    const callback = await authorize(op);
    expect(Object.fromEntries(callback.searchParams)).toEqual({ ...expected, state: 'state-1' });
  });

  it('issues an unsigned token in alg-none mode', async () => {
    const tokens = await loginAs(op, 'alg-none');
    expect(decodeProtectedHeader(tokens.id_token)).toEqual({ alg: 'none' });
    expect(tokens.id_token.endsWith('.')).toBe(true);
    expect(decodeJwt(tokens.id_token).nonce).toBe('nonce-1');
  });

  it.each(['bad-sig-rs256', 'bad-sig-es256'] as const)('issues a token with a published kid but a forged signature in %s mode', async (mode) => {
    const tokens = await loginAs(op, mode);
    const jwks = (await (await fetch(`${op.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(tokens.id_token).kid);
    await expect(verifyAgainstJwks(op, tokens.id_token)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('signs HS256 with the client secret in hs256-client-secret mode', async () => {
    const tokens = await loginAs(op, 'hs256-client-secret');
    expect(decodeProtectedHeader(tokens.id_token)).toEqual({ alg: 'HS256' });
    await expect(jwtVerify(tokens.id_token, new TextEncoder().encode(CLIENT_SECRET))).resolves.toBeDefined();
  });

  it('rotates to a new published key in rotated-key mode', async () => {
    const before = decodeProtectedHeader((await loginAs(op, 'good-rs256')).id_token).kid;
    const tokens = await loginAs(op, 'rotated-key');
    const after = decodeProtectedHeader(tokens.id_token).kid;

    expect(after).not.toBe(before);
    const jwks = (await (await fetch(`${op.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(after);
    expect(jwks.keys.map((key) => key.kid)).not.toContain(before);
    await expect(verifyAgainstJwks(op, tokens.id_token)).resolves.toBeDefined();
  });

  it('signs with an unpublished key in unknown-kid-forged mode', async () => {
    const tokens = await loginAs(op, 'unknown-kid-forged');
    const jwksBefore = op.jwksRequests;
    await expect(verifyAgainstJwks(op, tokens.id_token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(op.jwksRequests).toBeGreaterThan(jwksBefore);
  });

  it.each<[RogueMode, (claims: JWTPayload, now: number) => void]>([
    ['wrong-iss', (claims) => expect(claims.iss).not.toBe(op.issuer)],
    ['wrong-aud', (claims) => expect(claims.aud).toBe('other-client')],
    ['multi-aud-no-azp', (claims) => { expect(claims.aud).toEqual([CLIENT_ID, 'other-client']); expect(claims).not.toHaveProperty('azp'); }],
    ['wrong-azp', (claims) => expect(claims.azp).toBe('other-client')],
    ['wrong-nonce', (claims) => expect(claims.nonce).not.toBe('nonce-1')],
    ['no-nonce', (claims) => expect(claims).not.toHaveProperty('nonce')],
    ['expired', (claims, now) => expect(claims.exp).toBeLessThan(now)],
    ['no-iat', (claims) => expect(claims).not.toHaveProperty('iat')],
    ['no-sub', (claims) => expect(claims).not.toHaveProperty('sub')],
    ['iat-in-future', (claims, now) => expect(claims.iat).toBeGreaterThan(now + 60)],
  ])('tampers with the claims in %s mode', async (mode, check) => {
    const tokens = await loginAs(op, mode);
    expect(decodeProtectedHeader(tokens.id_token).alg).toBe('RS256');
    check(decodeJwt(tokens.id_token), Math.floor(Date.now() / 1000));
  });

  it('reflects mutable identity fields and omits email_verified when undefined', async () => {
    op.subject = 'someone-else';
    op.emailVerified = undefined;
    op.extraClaims = { preferred_username: 'custom' };
    try {
      const claims = decodeJwt((await loginAs(op, 'good-rs256')).id_token);
      expect(claims).toMatchObject({ sub: 'someone-else', preferred_username: 'custom' });
      expect(claims).not.toHaveProperty('email_verified');
    } finally {
      op.subject = 'rogue-sub-1';
      op.emailVerified = true;
      op.extraClaims = {};
    }
  });

  it('refuses to redirect an authorization request without a redirect_uri', async () => {
    const response = await fetch(`${op.issuer}/authorize?client_id=${CLIENT_ID}&response_type=code`, { redirect: 'manual' });
    expect(response.status).toBe(400);
  });

  it('redirects logout to post_logout_redirect_uri with the state', async () => {
    const target = new URLSearchParams({ post_logout_redirect_uri: 'http://127.0.0.1:9/bye', state: 'bye-state' });
    const response = await fetch(`${op.issuer}/logout?${target}`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:9/bye?state=bye-state');
  });
});
