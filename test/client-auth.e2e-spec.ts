import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { startService, type RunningService } from '../src/bootstrap.js';
import { startDevIdp, type DevIdp } from '../src/dev-idp/dev-idp.js';
import { ClientAssertionKeysService } from '../src/identity-providers/client-assertion-keys.service.js';
import { ProviderHealthService } from '../src/identity-providers/provider-health.service.js';
import { APP_CONFIG } from '../src/config/app-config.js';
import { SigningKeyRepository } from '../src/signing-keys/signing-key.repository.js';
import { SigningKeySeal } from '../src/signing-keys/signing-key-seal.js';
import { TestBrowser } from './support/browser.js';
import { freePort } from './support/ports.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, TEST_ENCRYPTION_KEY, type TestService } from './support/service.js';

/** A secret holding every character RFC 6749 §2.3.1's form encoding changes. */
const AWKWARD_SECRET = 'a+b/c=d%e f:g';
const CLIENTS = { signed: 'front-door-signed', basic: 'front-door-basic', unknownKey: 'front-door-unknown-key', uploaded: 'front-door-uploaded', uploadedBoth: 'front-door-uploaded-both' };

describe('client authentication toward the provider', () => {
  let a: TestService;
  let b: RunningService;
  let bUrl: string;
  let idp: DevIdp;
  /** Holds the service's public keys as uploaded (Entra ID, Auth0 style): it fetches nothing. */
  let uploads: DevIdp;
  let token: string;
  /** Every client assertion either instance signed, in order (the background Tests' too). */
  const assertions: string[] = [];
  const signedFor = (clientId: string, since: number) => assertions.slice(since).filter((assertion) => decodeJwt(assertion).iss === clientId);

  const api = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${a.url}/api/admin/identity-providers${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  };
  const keysOf = (service: RunningService) => service.app.get(ClientAssertionKeysService);
  const jwks = async (base: string) => (await (await fetch(`${base}/auth/client-jwks.json`)).json()) as { keys: Record<string, string>[] };
  const clientKeyRows = () => a.db.query<{ kid: string; active_from: Date }>(`SELECT kid, active_from FROM assertion_signing_keys WHERE purpose = 'client-assertion' ORDER BY active_from`);

  /** Records what a real instance signs, without changing it: the provider gets the same assertion. */
  function recordAssertions(service: RunningService): void {
    const keys = keysOf(service);
    const sign = keys.sign.bind(keys);
    keys.sign = async (input) => {
      const assertion = await sign(input);
      assertions.push(assertion);
      return assertion;
    };
  }

  async function signIn(base: string, providerId: string): Promise<{ ok: boolean; detail: string }> {
    const page = await signInThroughDevIdp(new TestBrowser(), `${base}/auth/login/${providerId}?returnTo=%2Fservicecenter`, DEVELOPER);
    const ok = page.status === 200 && page.url === `${base}/servicecenter`;
    return { ok, detail: `${page.status} ${page.url} ${ok ? '' : page.body.slice(0, 300)}` };
  }

  beforeAll(async () => {
    const [aPort, bPort] = [await freePort(), await freePort()];
    const [aBase, bBase] = [`http://localhost:${aPort}`, `http://localhost:${bPort}`];
    const callbacks = (id: string) => [`${aBase}/auth/callback/${id}`, `${bBase}/auth/callback/${id}`];
    const common = { postLogoutRedirectUris: [`${aBase}/auth/signed-out`] };
    idp = await startDevIdp({
      port: 0,
      issuerHost: '127.0.0.1',
      clients: [
        // The provider fetches the service's keys from the first instance: the second must sign with the same ones.
        { ...common, clientId: CLIENTS.signed, clientSecret: 'unused', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: `${aBase}/auth/client-jwks.json`, redirectUris: callbacks('signed') },
        { ...common, clientId: CLIENTS.basic, clientSecret: AWKWARD_SECRET, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: callbacks('basic') },
        // Knows other keys (the forward-auth ones): a signed assertion must be refused.
        { ...common, clientId: CLIENTS.unknownKey, clientSecret: 'unused', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: `${aBase}/.well-known/jwks.json`, redirectUris: callbacks('unknown-key') },
      ],
    });
    // The environment provider (the built-in development one) also signs in with private_key_jwt, and no secret.
    // The background Test runs at start and after each change only, so the assertions seen below are the logins'.
    a = await startTestService({ PORT: String(aPort), OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_TEST_INTERVAL_SECONDS: '3600' });
    b = await startService({
      PORT: String(bPort),
      PUBLIC_URL: bBase,
      DATABASE_URL: a.db.url,
      OIDC_ISSUER: a.service.issuer,
      OIDC_CLIENT_ID: 'front-door',
      OIDC_CLIENT_AUTH: 'private_key_jwt',
      SESSION_SECRET: 'test-session-secret-0123456789',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'error',
      RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
      OIDC_TEST_INTERVAL_SECONDS: '3600',
    });
    bUrl = bBase;
    recordAssertions(a.service);
    recordAssertions(b);
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', 'admin@example.com'], { DATABASE_URL: a.db.url }, { out: (line) => out.push(line), err: () => undefined })).toBe(0);
    token = out[0];
    // One rotation period has passed: the next key is published now, 14 days
    // (CLIENT_ASSERTION_KEY_PUBLISH_AHEAD_SECONDS) ahead of its switch, before the providers below first read the JWKS.
    await a.db.query(`UPDATE assertion_signing_keys SET active_from = active_from - interval '80 days' WHERE purpose = 'client-assertion'`);
    await keysOf(a.service).refresh();
    await keysOf(b).refresh();
    const published = await jwks(a.url);
    const [current, next] = (await clientKeyRows()).map((row) => published.keys.find((key) => key.kid === row.kid)!);
    uploads = await startDevIdp({
      port: 0,
      issuerHost: '127.0.0.1',
      clients: [
        { ...common, clientId: CLIENTS.uploaded, clientSecret: 'unused', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [current] }, redirectUris: callbacks('uploaded') },
        { ...common, clientId: CLIENTS.uploadedBoth, clientSecret: 'unused', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [current, next] }, redirectUris: callbacks('uploaded-both') },
      ],
    });
    for (const [id, clientId, issuer] of [
      ['uploaded', CLIENTS.uploaded, uploads.issuer],
      ['uploaded-both', CLIENTS.uploadedBoth, uploads.issuer],
    ] as const) {
      expect((await api('', { method: 'POST', json: { id, displayName: id, issuer, clientId, clientAuth: 'private_key_jwt' } })).status).toBe(201);
    }
    for (const [id, clientId, extra] of [
      ['signed', CLIENTS.signed, { clientAuth: 'private_key_jwt' }],
      ['basic', CLIENTS.basic, { clientAuth: 'client_secret_basic', clientSecret: AWKWARD_SECRET }],
      ['unknown-key', CLIENTS.unknownKey, { clientAuth: 'private_key_jwt' }],
    ] as const) {
      const created = await api('', { method: 'POST', json: { id, displayName: id, issuer: idp.issuer, clientId, ...extra } });
      expect(created.status, await created.clone().text()).toBe(201);
    }
    // The developer signs in through every provider here. Linked ahead, each login is its linked identity's:
    // otherwise the trust rules would send every provider after the first to a confirm-by-signing-in page.
    for (const [id, issuer] of [['default', a.service.issuer], ['signed', idp.issuer], ['basic', idp.issuer], ['unknown-key', idp.issuer], ['uploaded', uploads.issuer], ['uploaded-both', uploads.issuer]]) {
      await a.db.query(`INSERT INTO linked_identities (user_id, provider_id, issuer, subject) SELECT id, $1, $2, $3 FROM users WHERE email = $4`, [id, issuer, DEVELOPER.id, DEVELOPER.email]);
    }
    // Each new provider is tested in the background on both instances; let those Tests finish first.
    await Promise.all([a.service, b].map((service) => service.app.get(ProviderHealthService).readiness()));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await idp?.close();
    await uploads?.close();
  });

  it('publishes the same RSA public keys on every instance: the current one and the next, public members only', async () => {
    const [fromA, fromB] = [await jwks(a.url), await jwks(bUrl)];
    expect(fromA).toEqual(fromB);
    expect(fromA.keys).toHaveLength(2);
    for (const key of fromA.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(Buffer.from(key.n, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
      // Named by its RFC 7638 thumbprint, as providers that hold an uploaded key name it.
      expect(key.kid).toBe(await calculateJwkThumbprint({ kty: key.kty, n: key.n, e: key.e }));
    }
    const rows = await clientKeyRows();
    expect(rows).toHaveLength(2);
    expect(rows[1].active_from.getTime()).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    // Private keys are sealed at rest: nothing of an RSA private key is readable in the table.
    const stored = await a.db.query<{ private_jwk: object }>(`SELECT private_jwk FROM assertion_signing_keys WHERE purpose = 'client-assertion'`);
    for (const row of stored) expect(Object.keys(row.private_jwk)).toEqual(['sealed']);
  });

  it('loads the keys after start-up, and tries a start that failed (the database away) again at the next use', async () => {
    const app = a.service.app;
    const repository = app.get(SigningKeyRepository);
    let refusals = 1;
    const away: SigningKeyRepository = Object.create(repository, {
      withRotationLock: { value: (work: never) => (refusals-- > 0 ? Promise.reject(new Error('database away')) : repository.withRotationLock(work)) },
    });
    const keys = new ClientAssertionKeysService(app.get(APP_CONFIG), away, app.get(SigningKeySeal));
    keys.onApplicationBootstrap();
    await expect(keys.jwks()).rejects.toThrow('database away');
    expect(await keys.jwks()).toEqual(await keysOf(a.service).jwks());
    await keys.onApplicationShutdown();
  });

  it('checks clientAuth against the secret: a secret method needs one, private_key_jwt takes none and drops a stored one', async () => {
    const base = { displayName: 'Rules', issuer: idp.issuer, clientId: CLIENTS.basic };
    const refused = async (response: Response, pattern: RegExp) => {
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
      expect(JSON.stringify(body)).toMatch(pattern);
    };
    const count = async () => (await a.db.query('SELECT id FROM identity_providers')).length;
    const before = await count();
    await refused(await api('', { method: 'POST', json: { ...base, id: 'rules' } }), /client_secret_post needs a clientSecret/);
    await refused(await api('', { method: 'POST', json: { ...base, id: 'rules', clientAuth: 'client_secret_basic' } }), /client_secret_basic needs a clientSecret/);
    await refused(await api('', { method: 'POST', json: { ...base, id: 'rules', clientAuth: 'private_key_jwt', clientSecret: 'x' } }), /private_key_jwt uses no client secret/);
    await refused(await api('', { method: 'POST', json: { ...base, id: 'rules', clientAuth: 'tls_client_auth', clientSecret: 'x' } }), /clientAuth must be one of client_secret_post, client_secret_basic, private_key_jwt/);
    expect(await count()).toBe(before);

    expect((await api('', { method: 'POST', json: { ...base, id: 'rules', clientAuth: 'client_secret_basic', clientSecret: AWKWARD_SECRET } })).status).toBe(201);
    const switched = await api('/rules', { method: 'PATCH', json: { clientAuth: 'private_key_jwt' } });
    expect(await switched.json()).toMatchObject({ clientAuth: 'private_key_jwt', hasClientSecret: false });
    expect(await a.db.query(`SELECT client_secret_encrypted FROM identity_providers WHERE id = 'rules'`)).toEqual([{ client_secret_encrypted: null }]);
    await refused(await api('/rules', { method: 'PATCH', json: { clientAuth: 'client_secret_post' } }), /client_secret_post needs a clientSecret/);
    await refused(await api('/rules', { method: 'PATCH', json: { clientSecret: 'x' } }), /private_key_jwt uses no client secret/);
    const back = await api('/rules', { method: 'PATCH', json: { clientAuth: 'client_secret_basic', clientSecret: AWKWARD_SECRET } });
    expect(await back.json()).toMatchObject({ clientAuth: 'client_secret_basic', hasClientSecret: true });
    expect((await api('/rules', { method: 'DELETE' })).status).toBe(204);
  });

  it('lets a private_key_jwt provider change issuer without a secret, as does the change that switches to it; a secret method still needs the secret again', async () => {
    const moves = { displayName: 'Moves', clientId: 'moving-client', enabled: false };
    expect((await api('', { method: 'POST', json: { ...moves, id: 'moves', issuer: idp.issuer, clientAuth: 'private_key_jwt' } })).status).toBe(201);
    const moved = await api('/moves', { method: 'PATCH', json: { issuer: uploads.issuer } });
    expect(moved.status, await moved.clone().text()).toBe(200);
    expect(await moved.json()).toMatchObject({ issuer: uploads.issuer, clientAuth: 'private_key_jwt', hasClientSecret: false });

    expect((await api('/moves', { method: 'PATCH', json: { clientAuth: 'client_secret_basic', clientSecret: AWKWARD_SECRET } })).status).toBe(200);
    const keptSecret = await api('/moves', { method: 'PATCH', json: { issuer: idp.issuer } });
    expect(keptSecret.status).toBe(400);
    expect(await keptSecret.json()).toMatchObject({ error: 'client_secret_required' });
    // The switch to private_key_jwt deletes the stored secret: nothing is left to send to the new issuer.
    const switched = await api('/moves', { method: 'PATCH', json: { issuer: idp.issuer, clientAuth: 'private_key_jwt' } });
    expect(switched.status, await switched.clone().text()).toBe(200);
    expect(await switched.json()).toMatchObject({ issuer: idp.issuer, clientAuth: 'private_key_jwt', hasClientSecret: false });
    expect((await api('/moves', { method: 'DELETE' })).status).toBe(204);
  });

  it('signs in through the environment provider with private_key_jwt and no client secret', async () => {
    const before = assertions.length;
    const login = await signIn(a.url, 'default');
    expect(login.ok, login.detail).toBe(true);
    expect(signedFor('front-door', before)).toHaveLength(1);
    const claims = decodeJwt(signedFor('front-door', before)[0]);
    const issuer = a.service.issuer;
    expect(claims).toMatchObject({ iss: 'front-door', sub: 'front-door', aud: `${issuer}/token` });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(300);
    const view = await (await api('/default')).json();
    expect(view).toMatchObject({ clientAuth: 'private_key_jwt', hasClientSecret: false, clientJwksUri: `${a.url}/auth/client-jwks.json` });
  });

  it("signs in through a stored private_key_jwt provider from either instance, each assertion with its own jti", async () => {
    const before = assertions.length;
    for (const base of [a.url, bUrl]) {
      const login = await signIn(base, 'signed');
      expect(login.ok, login.detail).toBe(true);
    }
    const signed = signedFor(CLIENTS.signed, before).map((assertion) => decodeJwt(assertion));
    expect(signed).toHaveLength(2);
    expect(signed.map((claims) => claims.sub)).toEqual([CLIENTS.signed, CLIENTS.signed]);
    expect(new Set(signed.map((claims) => claims.jti)).size).toBe(2);
  });

  it("runs the Test's client step with the configured method and names it; a provider that knows other keys refuses", async () => {
    for (const id of ['default', 'signed']) {
      const result = await (await api(`/${id}/test`, { method: 'POST' })).json();
      expect(result.ok, JSON.stringify(result)).toBe(true);
      // The environment's provider may have cached the service's JWKS (at the start-up Test) before the next key was published.
      expect(result.steps[4]).toMatchObject({ step: 'client', ok: true, code: id === 'signed' ? 'client_ok' : expect.stringMatching(/^client_(ok|next_key_unknown)$/), message: expect.stringContaining('private_key_jwt') });
    }
    const refused = await (await api('/unknown-key/test', { method: 'POST' })).json();
    expect(refused.steps[4]).toMatchObject({ step: 'client', ok: false, code: 'client_rejected', message: expect.stringContaining('/auth/client-jwks.json') });
    const login = await signIn(a.url, 'unknown-key');
    expect(login.ok).toBe(false);
    expect(login.detail).toMatch(/^4\d\d|^50\d/);
  });

  it("tries the next key too in the Test: accepted where the JWKS URL is read, and where its certificate was uploaded ahead, and said so where not", async () => {
    const nextFrom = (await clientKeyRows())[1].active_from.toISOString();
    for (const id of ['signed', 'uploaded-both']) {
      const result = await (await api(`/${id}/test`, { method: 'POST' })).json();
      expect(result.steps[4]).toMatchObject({ ok: true, code: 'client_ok', message: expect.stringContaining(`The next key, which signs from ${nextFrom}, is accepted too.`) });
    }
    const notYet = await (await api('/uploaded/test', { method: 'POST' })).json();
    expect(notYet.ok).toBe(true);
    expect(notYet.steps[4]).toMatchObject({ ok: true, code: 'client_next_key_unknown', message: expect.stringContaining('certificate?key=next') });
    expect((await signIn(a.url, 'uploaded')).ok).toBe(true);
  });

  it('authenticates with client_secret_basic, form-encoding a secret full of reserved characters, for login and Test', async () => {
    const login = await signIn(a.url, 'basic');
    expect(login.ok, login.detail).toBe(true);
    const result = await (await api('/basic/test', { method: 'POST' })).json();
    expect(result.steps[4]).toMatchObject({ ok: true, code: 'client_ok', message: expect.stringContaining('client_secret_basic') });
    // The same secret sent without the form encoding is what a provider refuses ("%e " is no escape).
    // With its id, so the Test sends the redirect URI: this client has two registered, and the provider then wants one named.
    const draft = await (await api('/test', { method: 'POST', json: { id: 'basic', issuer: idp.issuer, clientId: CLIENTS.basic, clientSecret: AWKWARD_SECRET, clientAuth: 'client_secret_basic' } })).json();
    expect(draft.steps[4].code).toBe('client_ok');
    const wrong = await (await api('/test', { method: 'POST', json: { issuer: idp.issuer, clientId: CLIENTS.basic, clientSecret: 'a b', clientAuth: 'client_secret_basic' } })).json();
    expect(wrong.steps[4]).toMatchObject({ ok: false, code: 'client_rejected' });
  });

  it('serves the certificate of the current key: its public key is the JWKS key, its x5t#S256 the assertion header', async () => {
    const response = await api('/signed/certificate');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-pem-file');
    const pem = await response.text();
    const certificate = new X509Certificate(pem);
    const before = assertions.length;
    expect((await signIn(a.url, 'signed')).ok).toBe(true);
    const header = decodeProtectedHeader(signedFor(CLIENTS.signed, before)[0]);
    const current = (await jwks(a.url)).keys.find((key) => key.kid === header.kid)!;
    expect(current).toBeDefined();
    expect(certificate.publicKey.equals(createPublicKey({ key: current, format: 'jwk' }))).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(header['x5t#S256']).toBe(createHash('sha256').update(certificate.raw).digest('base64url'));
    expect(header.x5t).toBe(createHash('sha1').update(certificate.raw).digest('base64url'));
    expect(header.alg).toBe('RS256');
    expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(Date.now() + 90 * 86_400_000);

    // The next key's certificate can be uploaded ahead of its switch; it is another key.
    const next = await api('/signed/certificate?key=next');
    expect(next.status).toBe(200);
    const nextCertificate = new X509Certificate(await next.text());
    expect(nextCertificate.publicKey.equals(certificate.publicKey)).toBe(false);
    expect(new Date(next.headers.get('x-key-active-from')!).getTime()).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    expect((await api('/nobody/certificate')).status).toBe(404);
    expect((await api('/signed/certificate?key=old')).status).toBe(400);
    expect((await fetch(`${a.url}/api/admin/identity-providers/signed/certificate`)).status).toBe(401);
  });

  it('shows in LifeTime the JWKS URL and both certificates for private_key_jwt, and the secret field only where a secret is sent', async () => {
    const admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${a.url}/auth/login/default?returnTo=%2Flifetime%2Fauthentication`, ADMIN)).url).toBe(`${a.url}/lifetime/authentication`);
    const page = await admin.open(`${a.url}/lifetime/authentication/signed`);
    expect(page.body).toContain('private_key_jwt (a client assertion signed with this service');
    expect(page.body).toContain(`id="client-jwks-uri" value="${a.url}/auth/client-jwks.json"`);
    expect(page.body).toContain('data-copy="client-jwks-uri"');
    const current = await (await api('/signed/certificate')).text();
    const next = await (await api('/signed/certificate?key=next')).text();
    expect(page.body).toContain(current.trim());
    expect(page.body).toContain(next.trim());
    expect(page.body).toContain('data-copy="certificate-current"');
    expect(page.body).toContain('id="next-key-notice"');
    expect(page.body).toMatch(/<p id="client-secret-field" data-client-secret hidden>/);
    expect(page.body).not.toContain('<dt>Client secret</dt>');
    const download = await admin.open(`${a.url}/lifetime/authentication/signed/certificate.pem`);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="signed-client-assertion.pem"');
    expect(download.body).toBe(current);

    const basic = await admin.open(`${a.url}/lifetime/authentication/basic`);
    expect(basic.body).toMatch(/<p id="client-secret-field" data-client-secret>/);
    expect(basic.body).not.toContain('id="client-jwks-uri"');
    expect(basic.body).toContain('<option value="client_secret_basic" selected>');

    // Adding one with private_key_jwt needs no secret; a secret left in the hidden field is not sent.
    const form = await admin.open(`${a.url}/lifetime/authentication/new`);
    const saved = await admin.submit(form, { issuer: idp.issuer, id: 'from-lifetime', displayName: 'From LifeTime', clientId: CLIENTS.signed, clientAuth: 'private_key_jwt', clientSecret: 'typed-before-switching', enabled: 'on', action: 'save' }, '/lifetime/authentication/new');
    expect(saved.url).toBe(`${a.url}/lifetime/authentication/from-lifetime`);
    expect((await (await api('/from-lifetime')).json())).toMatchObject({ clientAuth: 'private_key_jwt', hasClientSecret: false });
    const refused = await admin.submit(saved, { clientAuth: 'client_secret_post', action: 'save' }, '/lifetime/authentication/from-lifetime/settings');
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('client_secret_post needs a clientSecret');
    // The refused form comes back as sent: the secret method chosen, so its secret field shown.
    expect(refused.body).toContain('<option value="client_secret_post" selected>');
    expect(refused.body).toMatch(/<p id="client-secret-field" data-client-secret>/);
    expect((await api('/from-lifetime', { method: 'DELETE' })).status).toBe(204);
  });

  it('switches to the next key in the middle of a run of logins on both instances: no login fails', async () => {
    const [current, next] = (await clientKeyRows()).map((row) => row.kid);
    const failures: string[] = [];
    const before = assertions.length;
    for (let i = 0; i < 12; i++) {
      if (i === 4) {
        // The next key's time has come; one instance learns of it at once, the other only later.
        await a.db.query(`UPDATE assertion_signing_keys SET active_from = now() - interval '1 second' WHERE kid = $1`, [next]);
        await keysOf(a.service).refresh();
      }
      if (i === 8) await keysOf(b).refresh();
      // Through the provider that fetches the JWKS URL, and the one that holds both uploaded keys.
      for (const provider of ['signed', 'uploaded-both']) {
        const login = await signIn(i % 2 === 0 ? a.url : bUrl, provider);
        if (!login.ok) failures.push(`login ${i} through ${provider}: ${login.detail}`);
      }
    }
    expect(failures).toEqual([]);
    const kids = assertions
      .slice(before)
      .filter((assertion) => [CLIENTS.signed, CLIENTS.uploadedBoth].includes(decodeJwt(assertion).iss!))
      .map((assertion) => decodeProtectedHeader(assertion).kid);
    expect(kids.slice(0, 8)).toEqual(Array(8).fill(current));
    expect(kids.slice(16)).toEqual(Array(8).fill(next));
    // Where only the old certificate was uploaded, the switch is what breaks sign-in: hence the notice ahead.
    expect((await signIn(a.url, 'uploaded')).ok).toBe(false);
    // The old key stays published after the switch, for assertions already on their way.
    expect((await jwks(a.url)).keys.map((key) => key.kid).sort()).toEqual([current, next].sort());
  });
});
