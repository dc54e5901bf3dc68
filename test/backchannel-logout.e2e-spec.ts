import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DesktopTokensService } from '../src/desktop-tokens/desktop-tokens.service.js';
import type { User } from '../src/users/user.entity.js';
import { TestBrowser } from './support/browser.js';
import { BACKCHANNEL_LOGOUT_EVENT } from './support/rogue-op.js';
import { ROGUE_CLIENT, startRogueEnvironment, visitConsole, type RogueEnvironment } from './support/rogue-service.js';

/** Each call to the provider gives up after this here (OIDC_HTTP_TIMEOUT_MS). */
const PROVIDER_TIMEOUT_MS = 1_500;

/** OpenID Connect Back-Channel Logout 1.0 against a provider that can sign anything, right or wrong. */
describe('back-channel logout', () => {
  let rig: RogueEnvironment;
  let user: User;

  beforeAll(async () => {
    rig = await startRogueEnvironment({}, { OIDC_JWKS_COOLDOWN_SECONDS: '0', OIDC_HTTP_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS) });
    user = await rig.users.create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => {
    rig.op.subject = 'rogue-sub-1';
  });

  /** A fresh console session at the provider; returns its browser and the provider's sid for it. */
  async function signIn(): Promise<{ browser: TestBrowser; sid: string }> {
    const browser = new TestBrowser();
    expect((await visitConsole(rig.env, browser)).status).toBe(200);
    return { browser, sid: rig.op.lastSid! };
  }

  function claims(overrides: JWTPayload = {}): JWTPayload {
    const base: JWTPayload = {
      iss: rig.op.issuer,
      aud: ROGUE_CLIENT.clientId,
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(12).toString('hex'),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    };
    const merged: Record<string, unknown> = { ...base, ...overrides };
    for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
    return merged as JWTPayload;
  }

  async function post(token: string | undefined, provider = 'default'): Promise<Response> {
    return fetch(`${rig.env.url}/auth/backchannel-logout/${provider}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: token === undefined ? '' : new URLSearchParams({ logout_token: token }).toString(),
    });
  }

  async function sessionsWithSid(sid: string): Promise<number> {
    const [row] = await rig.env.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions WHERE provider_sid = $1', [sid]);
    return Number(row.n);
  }

  /** The session is still served: a console page without a new round trip to the provider. */
  async function stillSignedIn(browser: TestBrowser): Promise<boolean> {
    const before = rig.op.tokenRequests;
    const page = await visitConsole(rig.env, browser);
    return page.status === 200 && rig.op.tokenRequests === before;
  }

  it('ends the console session the sid names, answers 200 no-store, and leaves other sessions alone', async () => {
    const first = await signIn();
    const second = await signIn();
    const desktop = await rig.env.service.app.get(DesktopTokensService).issue({ userId: user.id, client: 'service-studio' });
    const response = await post(await rig.op.signLogoutToken(claims({ sid: first.sid, sub: 'rogue-sub-1' })));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await sessionsWithSid(first.sid)).toBe(0);
    expect(await stillSignedIn(second.browser)).toBe(true);
    const me = await fetch(`${rig.env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${desktop.accessToken}` } });
    expect(me.status).toBe(401);
    const refresh = await fetch(`${rig.env.url}/api/desktop/token/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: desktop.refreshToken }),
    });
    expect(refresh.status).toBe(400);
    const [event] = await rig.env.db.query<{ outcome: string; user_id: string }>(
      "SELECT outcome, user_id FROM audit_events WHERE type = 'logout.backchannel' ORDER BY id DESC LIMIT 1",
    );
    expect(event).toEqual({ outcome: 'success', user_id: user.id });
  });

  it('ends every session of the linked identity when the token names only sub', async () => {
    const first = await signIn();
    const second = await signIn();
    const response = await post(await rig.op.signLogoutToken(claims({ sub: 'rogue-sub-1' })));
    expect(response.status).toBe(200);
    expect(await sessionsWithSid(first.sid)).toBe(0);
    expect(await sessionsWithSid(second.sid)).toBe(0);
  });

  it('ends the desktop tokens of the user the token names by sub even when no console session is left', async () => {
    const desktop = await rig.env.service.app.get(DesktopTokensService).issue({ userId: user.id, client: 'service-studio' });
    const response = await post(await rig.op.signLogoutToken(claims({ sid: 'a-provider-session-long-gone', sub: 'rogue-sub-1' })));
    expect(response.status).toBe(200);
    const me = await fetch(`${rig.env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${desktop.accessToken}` } });
    expect(me.status).toBe(401);
  });

  it('accepts an ES256 token, and one signed with a key the provider rotated to', async () => {
    const es = await signIn();
    expect((await post(await rig.op.signLogoutToken(claims({ sid: es.sid }), { alg: 'ES256' }))).status).toBe(200);
    expect(await sessionsWithSid(es.sid)).toBe(0);
    const rotated = await signIn();
    await rig.op.rotateKeys();
    expect((await post(await rig.op.signLogoutToken(claims({ sid: rotated.sid })))).status).toBe(200);
    expect(await sessionsWithSid(rotated.sid)).toBe(0);
  });

  // Keycloak and Glewlwyd sign logout tokens with typ JWT; §2.4 only recommends logout+jwt, and typ may be absent.
  it.each([['JWT'], ['application/jwt'], ['application/logout+jwt'], [null]])('accepts a logout token with typ %s', async (typ) => {
    const { sid } = await signIn();
    expect((await post(await rig.op.signLogoutToken(claims({ sid, sub: 'rogue-sub-1' }), { typ }))).status).toBe(200);
    expect(await sessionsWithSid(sid)).toBe(0);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const refusals: [string, string, (sid: string) => Promise<string | undefined>][] = [
    ['no logout_token', 'missing_logout_token', async () => undefined],
    ['a logout_token that is not a JWT', 'malformed', async () => 'not-a-jwt'],
    ['alg none', 'bad_alg', async (sid) => rig.op.signLogoutToken(claims({ sid }), { forge: 'none' })],
    ['HS256 with the client secret', 'bad_alg', async (sid) => rig.op.signLogoutToken(claims({ sid }), { forge: 'hs256' })],
    ['a forged RS256 signature', 'bad_signature', async (sid) => rig.op.signLogoutToken(claims({ sid }), { forge: 'impostor' })],
    ['a forged ES256 signature', 'bad_signature', async (sid) => rig.op.signLogoutToken(claims({ sid }), { forge: 'impostor', alg: 'ES256' })],
    ['a typ that is neither logout+jwt nor JWT', 'bad_typ', async (sid) => rig.op.signLogoutToken(claims({ sid }), { typ: 'at+jwt' })],
    ['an ID token (typ JWT, a nonce, no events)', 'bad_events', async (sid) => rig.op.signLogoutToken(claims({ sid, sub: 'rogue-sub-1', nonce: 'n-0S6_WzA2Mj', exp: now() + 300, events: undefined }), { typ: 'JWT' })],
    ['a typ JWT token with a nonce', 'nonce_present', async (sid) => rig.op.signLogoutToken(claims({ sid, nonce: 'n-0S6_WzA2Mj' }), { typ: 'JWT' })],
    ['another issuer', 'bad_iss', async (sid) => rig.op.signLogoutToken(claims({ sid, iss: 'https://rogue-issuer.invalid' }))],
    ['another audience', 'bad_aud', async (sid) => rig.op.signLogoutToken(claims({ sid, aud: 'other-client' }))],
    ['several audiences and no azp', 'bad_azp', async (sid) => rig.op.signLogoutToken(claims({ sid, aud: [ROGUE_CLIENT.clientId, 'other-client'] }))],
    ['an azp of another client', 'bad_azp', async (sid) => rig.op.signLogoutToken(claims({ sid, azp: 'other-client' }))],
    ['no iat', 'bad_iat', async (sid) => rig.op.signLogoutToken(claims({ sid, iat: undefined }))],
    ['an iat too old', 'stale_iat', async (sid) => rig.op.signLogoutToken(claims({ sid, iat: now() - 3600 }))],
    ['an iat in the future', 'bad_iat', async (sid) => rig.op.signLogoutToken(claims({ sid, iat: now() + 3600 }))],
    ['an exp in the past', 'expired', async (sid) => rig.op.signLogoutToken(claims({ sid, exp: now() - 120 }))],
    ['no events claim', 'bad_events', async (sid) => rig.op.signLogoutToken(claims({ sid, events: undefined }))],
    ['events without the back-channel logout member', 'bad_events', async (sid) => rig.op.signLogoutToken(claims({ sid, events: { 'http://example.com/other': {} } }))],
    ['neither sid nor sub', 'no_sid_or_sub', async () => rig.op.signLogoutToken(claims({}))],
    ['a nonce', 'nonce_present', async (sid) => rig.op.signLogoutToken(claims({ sid, nonce: 'n-0S6_WzA2Mj' }))],
    ['no jti', 'bad_jti', async (sid) => rig.op.signLogoutToken(claims({ sid, jti: undefined }))],
  ];

  it.each(refusals)('refuses %s (%s) with 400 JSON, and the session survives', async (_name, reason, makeToken) => {
    const { browser, sid } = await signIn();
    const response = await post(await makeToken(sid));
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toBe('invalid_request');
    expect(typeof body.error_description).toBe('string');
    expect(await sessionsWithSid(sid)).toBe(1);
    expect(await stillSignedIn(browser)).toBe(true);
    const [event] = await rig.env.db.query<{ reason: string }>("SELECT reason FROM audit_events WHERE type = 'logout.backchannel' ORDER BY id DESC LIMIT 1");
    expect(event.reason).toBe(reason);
  });

  it('refuses a logout token presented a second time (jti kept in the database), and the new session survives', async () => {
    const first = await signIn();
    const jti = randomBytes(12).toString('hex');
    expect((await post(await rig.op.signLogoutToken(claims({ sid: first.sid, jti })))).status).toBe(200);
    const second = await signIn();
    const replay = await post(await rig.op.signLogoutToken(claims({ sid: second.sid, jti })));
    expect(replay.status).toBe(400);
    expect(await sessionsWithSid(second.sid)).toBe(1);
    expect(await stillSignedIn(second.browser)).toBe(true);
    const [row] = await rig.env.db.query<{ n: string }>('SELECT count(*) AS n FROM logout_token_jtis WHERE jti = $1', [jti]);
    expect(Number(row.n)).toBe(1);
  });

  it('answers a body the parsers refuse (too large, nested too deep, not JSON) in its own shape, and the session survives', async () => {
    const { browser, sid } = await signIn();
    const token = await rig.op.signLogoutToken(claims({ sid }));
    const bodies: [string, string][] = [
      ['application/x-www-form-urlencoded', `${new URLSearchParams({ logout_token: token })}&padding=${'x'.repeat(200_000)}`],
      ['application/json', `${'['.repeat(100)}${']'.repeat(100)}`],
      ['application/json', `{"logout_token": "${token}"`],
    ];
    for (const [type, body] of bodies) {
      const response = await fetch(`${rig.env.url}/auth/backchannel-logout/default`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const answer = await response.json();
      expect(Object.keys(answer).sort()).toEqual(['error', 'error_description']);
      expect(answer.error).toBe('invalid_request');
    }
    expect(await sessionsWithSid(sid)).toBe(1);
    expect(await stillSignedIn(browser)).toBe(true);
  });

  it('refuses a token whose signing keys do not arrive in time (provider_unavailable), and the session survives', async () => {
    const { browser, sid } = await signIn();
    // A key the service has not seen yet: checking the token needs the JWKS, which never comes.
    await rig.op.rotateKeys();
    rig.op.hang = new Set(['/jwks']);
    try {
      const started = Date.now();
      const response = await post(await rig.op.signLogoutToken(claims({ sid })));
      expect(response.status).toBe(400);
      expect((await response.json()).error).toBe('invalid_request');
      expect(Date.now() - started).toBeLessThan(PROVIDER_TIMEOUT_MS + 3_000);
    } finally {
      rig.op.hang = new Set();
    }
    expect(await sessionsWithSid(sid)).toBe(1);
    expect(await stillSignedIn(browser)).toBe(true);
    const [event] = await rig.env.db.query<{ reason: string }>("SELECT reason FROM audit_events WHERE type = 'logout.backchannel' ORDER BY id DESC LIMIT 1");
    expect(event.reason).toBe('provider_unavailable');
  });

  it('refuses an unknown provider, and the session survives', async () => {
    const { sid } = await signIn();
    const response = await post(await rig.op.signLogoutToken(claims({ sid })), 'nobody');
    expect(response.status).toBe(400);
    expect(await sessionsWithSid(sid)).toBe(1);
  });
});

describe('back-channel logout with BACKCHANNEL_LOGOUT_DESKTOP=keep', () => {
  let rig: RogueEnvironment;

  beforeAll(async () => {
    rig = await startRogueEnvironment({}, { BACKCHANNEL_LOGOUT_DESKTOP: 'keep' });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('ends the console session but keeps the desktop tokens', async () => {
    const user = await rig.users.create({ email: 'rogue@example.com' });
    const browser = new TestBrowser();
    expect((await visitConsole(rig.env, browser)).status).toBe(200);
    const desktop = await rig.env.service.app.get(DesktopTokensService).issue({ userId: user.id, client: 'integration-studio' });
    const token = await rig.op.signLogoutToken({
      iss: rig.op.issuer,
      aud: ROGUE_CLIENT.clientId,
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(12).toString('hex'),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sid: rig.op.lastSid,
    });
    const response = await fetch(`${rig.env.url}/auth/backchannel-logout/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    });
    expect(response.status).toBe(200);
    const [row] = await rig.env.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions WHERE user_id = $1', [user.id]);
    expect(Number(row.n)).toBe(0);
    const me = await fetch(`${rig.env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${desktop.accessToken}` } });
    expect(me.status).toBe(200);
  });
});
