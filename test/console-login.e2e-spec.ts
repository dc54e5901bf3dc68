import { csrfForm } from './support/forms.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from './support/browser.js';
import { ADMIN, confirmProviderLogout, DEVELOPER, isDevIdpLogin, signInThroughDevIdp, startTestService, STRANGER, type TestService } from './support/service.js';

describe('console sign-in through the development identity provider', () => {
  let env: TestService;

  beforeAll(async () => {
    env = await startTestService();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('sends a browser without a session to the provider, and back to the page it asked for', async () => {
    const browser = new TestBrowser();
    const first = await browser.open(`${env.url}/servicecenter/apps?tab=2&q=a%20b`);
    expect(isDevIdpLogin(first)).toBe(true);
    expect(first.hops[0].location).toMatch(/^\/auth\/login\?returnTo=/);
    const authorize = new URL(first.hops[1].location!);
    expect(authorize.origin).toBe(env.service.issuer);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    const landed = await browser.submit(first, { email: DEVELOPER.email, password: DEVELOPER.password });
    expect(landed.status).toBe(200);
    expect(landed.url).toBe(`${env.url}/servicecenter/apps?tab=2&q=a%20b`);
    expect(landed.body).toContain(DEVELOPER.name);
    expect(landed.body).toContain('action="/auth/logout"');
  });

  it('keeps the session (HttpOnly, SameSite=Lax) in PostgreSQL with the ID token, regenerated at login', async () => {
    const browser = new TestBrowser();
    const [{ n: rowsBefore }] = await env.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions');
    const loginStart = await browser.open(`${env.url}/servicecenter`);
    // A login in flight lives in a sealed cookie: no session id and no session row before the provider answers.
    expect(browser.cookie('localhost', 'frontdoor.sid')).toBeUndefined();
    expect(browser.cookie('localhost', 'frontdoor.login')).toBeTruthy();
    expect((await env.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions'))[0].n).toBe(rowsBefore);
    const response = await browser.submit(loginStart, { email: ADMIN.email, password: ADMIN.password });
    expect(response.status).toBe(200);
    const sid = browser.cookie('localhost', 'frontdoor.sid');

    const rows = await env.db.query<{ sid: string; data: Record<string, unknown>; user_id: string }>('SELECT sid, data, user_id FROM sessions WHERE user_id IS NOT NULL');
    const row = rows.find((r) => decodeURIComponent(sid!).includes(r.sid));
    expect(row).toBeDefined();
    expect(typeof row!.data.idToken).toBe('string');
    expect(row!.data.providerSid).toBeTruthy();

    const raw = await fetch(`${env.url}/servicecenter`, { headers: { cookie: `frontdoor.sid=${sid}` }, redirect: 'manual' });
    expect(raw.status).toBe(200);
    const loginCookie = (await fetch(`${env.url}/servicecenter`, { redirect: 'manual' })).headers.getSetCookie().join('\n');
    expect(loginCookie).toBe('');
    // As set at login: a signed-in request re-sends it only when its idle expiry moves on (about once a minute).
    const setCookie = browser.setCookieLine('localhost', 'frontdoor.sid')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
  });

  it('gives a planted session cookie nothing: a new id at login, the planted session ended', async () => {
    // The attacker's own signed-in session, planted in the victim's browser.
    const attacker = new TestBrowser();
    await signInThroughDevIdp(attacker, `${env.url}/servicecenter`, DEVELOPER);
    const planted = attacker.cookie('localhost', 'frontdoor.sid')!;
    const victim = new TestBrowser();
    victim.setCookie('localhost', 'frontdoor.sid', planted);
    const login = await victim.open(`${env.url}/auth/login?prompt=login&returnTo=%2Flifetime`);
    expect(isDevIdpLogin(login)).toBe(true);
    const landed = await victim.submit(login, { email: ADMIN.email, password: ADMIN.password });
    expect(landed.status).toBe(200);
    expect(landed.body).toContain(ADMIN.name);
    const issued = victim.cookie('localhost', 'frontdoor.sid')!;
    expect(issued).not.toBe(planted);
    // Neither the attacker's cookie nor anything signed for its id opens the victim's session.
    const withPlanted = await fetch(`${env.url}/lifetime`, { headers: { cookie: `frontdoor.sid=${planted}` }, redirect: 'manual' });
    expect(withPlanted.status).toBe(302);
    const plantedSid = decodeURIComponent(planted).slice(2).split('.')[0];
    expect(await env.db.query('SELECT 1 FROM sessions WHERE sid = $1', [plantedSid])).toHaveLength(0);
  });

  it('treats forged, unsigned and garbled session cookies as no session, without an error', async () => {
    const browser = new TestBrowser();
    await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER);
    const real = decodeURIComponent(browser.cookie('localhost', 'frontdoor.sid')!);
    const sid = real.slice(2).split('.')[0];
    const forgeries = [
      encodeURIComponent(`s:${sid}.${'A'.repeat(43)}`),
      encodeURIComponent(`s:${sid}`),
      sid,
      encodeURIComponent(`${real}x`),
      '%E0%A4%A',
      encodeURIComponent(`s:${'x'.repeat(5000)}.abc`),
    ];
    for (const value of forgeries) {
      const response = await fetch(`${env.url}/servicecenter`, { headers: { cookie: `frontdoor.sid=${value}` }, redirect: 'manual' });
      expect(response.status, value.slice(0, 60)).toBe(302);
      expect(response.headers.get('location')).toMatch(/^\/auth\/login/);
    }
    // The real one still works, first among other cookies or after them.
    for (const cookie of [`frontdoor.sid=${encodeURIComponent(real)}; other=1`, `other=1;frontdoor.sid=${encodeURIComponent(real)}`]) {
      expect((await fetch(`${env.url}/servicecenter`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);
    }
  });

  it('lets an admin into LifeTime and answers a developer with a 403 page, not a redirect loop', async () => {
    const admin = new TestBrowser();
    const adminPage = await signInThroughDevIdp(admin, `${env.url}/lifetime`, ADMIN);
    expect(adminPage.status).toBe(200);
    expect(adminPage.body).toContain('LifeTime');
    expect(adminPage.body).toContain(ADMIN.name);

    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const denied = await developer.open(`${env.url}/lifetime/environments`);
    expect(denied.status).toBe(403);
    expect(denied.hops).toHaveLength(0);
    expect(denied.body).toContain('admin role');
  });

  it('refuses an account the platform does not know with a 403 page naming it, and writes nothing', async () => {
    const before = await env.db.query<{ n: string }>('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM linked_identities) AS n');
    const browser = new TestBrowser();
    const page = await signInThroughDevIdp(browser, `${env.url}/servicecenter`, STRANGER);
    expect(page.status).toBe(403);
    expect(page.body).toContain('not registered in this environment');
    expect(page.body).toContain(STRANGER.email);
    const after = await env.db.query<{ n: string }>('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM linked_identities) AS n');
    expect(after[0].n).toBe(before[0].n);
    const sessions = await env.db.query('SELECT 1 FROM sessions WHERE user_id IS NOT NULL AND data::text LIKE $1', [`%${STRANGER.email}%`]);
    expect(sessions).toHaveLength(0);
    const again = await browser.open(`${env.url}/servicecenter`);
    expect(again.hops[0]?.location).toMatch(/^\/auth\/login/);
  });

  it('logs out through the provider, after which the consoles ask for a login again', async () => {
    const browser = new TestBrowser();
    await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER);
    const signedIn = await browser.open(`${env.url}/servicecenter`);
    expect(signedIn.status).toBe(200);
    const sid = browser.cookie('localhost', 'frontdoor.sid')!;

    const form = csrfForm(signedIn.body);
    const logoutResponse = await browser.request(`${env.url}/auth/logout`, { method: 'POST', body: form.body, headers: { ...form.headers, origin: env.url } });
    expect(logoutResponse.status).toBe(303);
    const endSession = new URL(logoutResponse.headers.get('location')!);
    expect(endSession.origin).toBe(env.service.issuer);
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${env.url}/auth/signed-out`);

    const confirmation = await browser.open(endSession.toString());
    const signedOut = await confirmProviderLogout(browser, confirmation);
    expect(endSession.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(signedOut.url).toBe(`${env.url}/auth/signed-out?state=${endSession.searchParams.get('state')}`);
    expect(signedOut.body).toContain('You are signed out');

    const stale = await fetch(`${env.url}/servicecenter`, { headers: { cookie: `frontdoor.sid=${sid}` }, redirect: 'manual' });
    expect(stale.status).toBe(302);
    const after = await browser.open(`${env.url}/servicecenter`);
    expect(isDevIdpLogin(after)).toBe(true);
  });

  it('never puts a foreign return-to target in a Location header', async () => {
    for (const target of ['//evil.example', 'https://evil.example', '/\\evil.example', '/%5Cevil.example', '\\\\evil.example', '/\t/evil.example']) {
      const browser = new TestBrowser();
      const page = await browser.open(`${env.url}/auth/login?returnTo=${encodeURIComponent(target)}`);
      const landed = await browser.submit(page, { email: DEVELOPER.email, password: DEVELOPER.password });
      for (const hop of [...page.hops, ...landed.hops]) {
        expect(new URL(hop.location!, hop.url).hostname).not.toContain('evil.example');
      }
      expect(new URL(landed.url).origin).toBe(env.url);
    }
  });
});
