import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesktopTokensService } from '../src/desktop-tokens/desktop-tokens.service.js';
import { TestBrowser, findForm, type Page } from './support/browser.js';
import { ADMIN, DEVELOPER, STRANGER, isDevIdpLogin, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

describe('LifeTime pages, Use another account and the start page', () => {
  let env: TestService;
  let admin: TestBrowser;
  let adminId: string;
  let developerId: string;

  const state = () => env.db.query('SELECT id, email, roles, active, updated_at FROM users ORDER BY id');
  const writes = async () => ({ users: await state(), audit: (await env.db.query('SELECT count(*) AS n FROM audit_events'))[0], sessions: await env.db.query('SELECT sid FROM sessions WHERE user_id IS NOT NULL ORDER BY sid') });

  function post(browser: TestBrowser, path: string, fields: Record<string, string>): Promise<Page> {
    return browser.open(`${env.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: env.url }, body: new URLSearchParams(fields) });
  }

  beforeAll(async () => {
    env = await startTestService();
    admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime`, ADMIN)).status).toBe(200);
    [{ id: adminId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    [{ id: developerId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('lists users with a search', async () => {
    const all = await admin.open(`${env.url}/lifetime/users`);
    expect(all.status).toBe(200);
    expect(all.body).toContain(ADMIN.email);
    expect(all.body).toContain(DEVELOPER.email);
    const found = await admin.open(`${env.url}/lifetime/users?q=ELOPER`);
    expect(found.body).toContain(DEVELOPER.email);
    expect(found.body).not.toContain(`<td class="nowrap">${ADMIN.email}</td>`);
    expect(all.body).toContain(`<td class="nowrap">${ADMIN.email}</td>`);
  });

  it('adds a user with the form, then shows their page with a flash message once', async () => {
    const list = await admin.open(`${env.url}/lifetime/users`);
    const token = findForm(list.body, '/auth/logout').fields._csrf;
    const added = await post(admin, '/lifetime/users', { _csrf: token, email: 'new.hire@example.com', displayName: 'New Hire', role_developer: 'on' });
    expect(added.status).toBe(200);
    expect(added.url).toMatch(/\/lifetime\/users\/[0-9a-f-]{36}$/);
    expect(added.body).toContain('Added new.hire@example.com.');
    expect((await env.db.query('SELECT roles FROM users WHERE email = $1', ['new.hire@example.com']))[0]).toEqual({ roles: ['developer'] });
    expect((await admin.open(added.url)).body).not.toContain('Added new.hire@example.com.');
    const before = await writes();
    const again = await post(admin, '/lifetime/users', { _csrf: token, email: 'new.hire@example.com' });
    expect(again.status).toBe(409);
    expect(again.body).toContain('already exists');
    expect(await writes()).toEqual(before);
  });

  it.each([
    ['missing', undefined],
    ['wrong', 'not-the-token'],
  ])('refuses a form whose CSRF token is %s: 403, nothing written', async (_label, token) => {
    const before = await writes();
    const fields = (extra: Record<string, string>) => (token === undefined ? extra : { ...extra, _csrf: token });
    for (const [path, body] of [
      ['/lifetime/users', { email: 'csrf@example.com' }],
      [`/lifetime/users/${developerId}/roles`, { role_admin: 'on' }],
      [`/lifetime/users/${developerId}/deactivate`, { confirm: 'yes' }],
      [`/lifetime/users/${developerId}/reactivate`, {}],
    ] as const) {
      const page = await post(admin, path, fields(body));
      expect(page.status, path).toBe(403);
      expect(page.body).toContain('did not come from this site');
    }
    expect(await writes()).toEqual(before);
  });

  it("refuses LifeTime's forms sent by another site even with the valid token (Origin, Sec-Fetch-Site): 403, nothing written", async () => {
    const list = await admin.open(`${env.url}/lifetime/users`);
    const token = findForm(list.body, '/auth/logout').fields._csrf;
    const before = await writes();
    const providers = await env.db.query('SELECT id, version FROM identity_providers ORDER BY id');
    for (const headers of <Record<string, string>[]>[{ origin: 'https://evil.example' }, { origin: env.url, 'sec-fetch-site': 'cross-site' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }]) {
      for (const [path, fields] of [
        ['/lifetime/users', { email: 'cross-site@example.com', role_admin: 'on' }],
        [`/lifetime/users/${developerId}/roles`, { role_admin: 'on', role_developer: 'on' }],
        ['/lifetime/authentication/new', { id: 'cross-site', displayName: 'Cross site', issuer: 'https://idp.evil.example', clientId: 'x', clientSecret: 'y' }],
      ] as const) {
        const page = await admin.open(`${env.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({ _csrf: token, ...fields }),
        });
        expect(page.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(page.body).toContain('did not come from this site');
      }
    }
    expect(await writes()).toEqual(before);
    expect(await env.db.query('SELECT id, version FROM identity_providers ORDER BY id')).toEqual(providers);
  });

  it('refuses a developer every LifeTime page and form (403, nothing written), offering Use another account', async () => {
    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const denied = await developer.open(`${env.url}/lifetime/users`);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('Use another account');
    // Their own valid CSRF token does not help.
    const token = findForm(denied.body, '/auth/switch-account').fields._csrf;
    expect(token).toBeTruthy();
    const before = await writes();
    const forged = await post(developer, '/lifetime/users', { _csrf: token, email: 'sneaky@example.com', role_admin: 'on' });
    expect(forged.status).toBe(403);
    const promote = await post(developer, `/lifetime/users/${developerId}/roles`, { _csrf: token, role_admin: 'on', role_developer: 'on' });
    expect(promote.status).toBe(403);
    expect(await writes()).toEqual(before);
  });

  it('changes roles, and deactivates after a confirmation step, then reactivates', async () => {
    const userPage = await admin.open(`${env.url}/lifetime/users/${developerId}`);
    const saved = await admin.submit(userPage, { role_admin: 'on', role_developer: 'on' }, '/roles');
    expect(saved.body).toContain('Roles of dev@example.com: admin, developer.');
    expect((await env.db.query('SELECT roles FROM users WHERE id = $1', [developerId]))[0]).toEqual({ roles: ['admin', 'developer'] });
    await admin.submit(await admin.open(`${env.url}/lifetime/users/${developerId}`), { role_developer: 'on' }, '/roles');

    const before = await writes();
    const confirm = await admin.submit(await admin.open(`${env.url}/lifetime/users/${developerId}`), {}, '/deactivate');
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Deactivate dev@example.com?');
    expect(await writes()).toEqual(before);
    const done = await admin.submit(confirm, {}, '/deactivate');
    expect(done.body).toContain('Deactivated dev@example.com');
    expect((await env.db.query('SELECT active FROM users WHERE id = $1', [developerId]))[0]).toEqual({ active: false });
    const back = await admin.submit(done, {}, '/reactivate');
    expect(back.body).toContain('Reactivated dev@example.com.');
  });

  it('refuses to deactivate or demote the last active admin on the page: 409 with the reason, nothing written', async () => {
    const before = await writes();
    const confirm = await admin.submit(await admin.open(`${env.url}/lifetime/users/${adminId}`), {}, '/deactivate');
    const refused = await admin.submit(confirm, {}, '/deactivate');
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('is the last active admin of this environment and cannot be deactivated');
    const demoted = await admin.submit(await admin.open(`${env.url}/lifetime/users/${adminId}`), { role_developer: 'on' }, '/roles');
    expect(demoted.status).toBe(409);
    expect(demoted.body).toContain('cannot be demoted');
    expect(await writes()).toEqual(before);
  });

  it('shows a user’s console sessions and revokes one after confirmation', async () => {
    await env.db.query('DELETE FROM sessions WHERE user_id = $1', [developerId]);
    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const userPage = await admin.open(`${env.url}/lifetime/users/${developerId}`);
    expect(userPage.body).toContain('id="console-sessions"');
    const confirm = await admin.submit(userPage, {}, '/sessions/');
    expect(confirm.body).toContain('Revoke this console session?');
    expect(confirm.body).toContain(`the next sign-in of ${DEVELOPER.email} must be a fresh one`);
    expect((await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [developerId])).length).toBe(1);
    const done = await admin.submit(confirm, {}, '/sessions/');
    expect(done.body).toContain('Console session revoked.');
    expect(done.body).toContain('id="no-console-sessions"');
    expect((await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [developerId])).length).toBe(0);
    expect((await developer.request(`${env.url}/servicecenter`)).status).toBe(302);
    const [event] = await env.db.query<{ actor_id: string; user_id: string }>(`SELECT actor_id, user_id FROM audit_events WHERE type = 'admin.session.revoked'`);
    expect(event).toEqual({ actor_id: adminId, user_id: developerId });
  });

  it('revokes a desktop token from the user’s page after confirmation, and refuses an unknown one with 404', async () => {
    await env.service.app.get(DesktopTokensService).issue({ userId: developerId, client: 'service-studio' });
    const [{ id: tokenId }] = await env.db.query<{ id: string }>('SELECT id FROM desktop_tokens WHERE user_id = $1', [developerId]);
    const userPage = await admin.open(`${env.url}/lifetime/users/${developerId}`);
    expect(userPage.body).toContain('id="desktop-tokens"');
    const confirm = await admin.submit(userPage, {}, '/desktop-tokens/');
    expect(confirm.body).toContain('Revoke this desktop token?');
    expect(await env.db.query('SELECT 1 FROM desktop_tokens WHERE id = $1', [tokenId])).toHaveLength(1);
    const done = await admin.submit(confirm, {}, '/desktop-tokens/');
    expect(done.body).toContain('Desktop token revoked.');
    expect(await env.db.query('SELECT 1 FROM desktop_tokens WHERE id = $1', [tokenId])).toHaveLength(0);
    const again = await admin.submit(confirm, {}, '/desktop-tokens/');
    expect(again.status).toBe(404);
    expect(again.body).toContain('No desktop token with id');
  });

  it('lets a stranger refused as not registered use another account: the provider asks again, and the admin gets in', async () => {
    const browser = new TestBrowser();
    const refused = await signInThroughDevIdp(browser, `${env.url}/lifetime/users`, STRANGER);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('not registered in this environment');
    // Without a fresh login at the provider, the same refusal comes back.
    expect((await browser.open(`${env.url}/lifetime/users`)).status).toBe(403);

    // No session was stored for the stranger, so the page links straight to a login that asks again.
    const link = /href="(\/auth\/login\?prompt=login[^"]*)"[^>]*>Use another account/.exec(refused.body);
    expect(link).not.toBeNull();
    const providerLogin = await browser.open(`${env.url}${link![1].replaceAll('&amp;', '&')}`);
    expect(isDevIdpLogin(providerLogin)).toBe(true);
    expect(providerLogin.hops.some((hop) => hop.location?.includes('prompt=login'))).toBe(true);
    let signedIn = await browser.submit(providerLogin, { email: ADMIN.email, password: ADMIN.password });
    // The provider ends the stranger's session there with a form that a browser submits by script.
    if (signedIn.body.includes('/session/end/confirm')) signedIn = await browser.submit(signedIn);
    expect(signedIn.status).toBe(200);
    expect(new URL(signedIn.url).pathname).toBe('/lifetime/users');
  });

  it('refuses Use another account without the CSRF token, ending nothing', async () => {
    const before = await writes();
    const page = await post(admin, '/auth/switch-account', { returnTo: '/' });
    expect(page.status).toBe(403);
    expect(await writes()).toEqual(before);
    expect((await admin.open(`${env.url}/lifetime`)).status).toBe(200);
  });

  it('shows who is signed in with a Log out button on the start page, and Use another account once signed out', async () => {
    const home = await admin.open(`${env.url}/`);
    expect(home.body).toContain('id="signed-in-as"');
    expect(home.body).toContain(ADMIN.name);
    expect(findForm(home.body, '/auth/logout').method).toBe('POST');
    expect((await new TestBrowser().open(`${env.url}/`)).body).not.toContain('signed-in-as');
    const signedOut = await new TestBrowser().open(`${env.url}/auth/signed-out`);
    expect(signedOut.body).toContain('/auth/login?prompt=login');
    expect(signedOut.body).toContain('Use another account');
  });

});
