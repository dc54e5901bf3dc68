import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { startProtectedApps, type Echo, type ProtectedApps } from '../support/protected-apps.js';
import { ADMIN, DEVELOPER, heardByService, type TestService } from '../support/service.js';
import { CHROMIUM, lacks, NGINX } from '../support/system-packages.js';

/** The first of several waits; the others may still fail later (page closed), which is expected. */
function firstOf<T>(waits: Promise<T>[]): Promise<T> {
  for (const wait of waits) wait.catch(() => undefined);
  return Promise.race(waits);
}

describe.skipIf(lacks(CHROMIUM, NGINX))('forward auth through a real nginx in a real browser (headless Chromium)', () => {
  let env: TestService;
  let browser: Browser;
  let nginx: RunningNginx;
  let apps: ProtectedApps;
  let wiki: string;
  let reports: string;
  const requested: string[] = [];

  const isProviderLogin = (url: URL) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/');

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('request', (request) => requested.push(request.url()));
    return page;
  }

  async function signInAtProvider(page: Page, account: { email: string; password: string }, landing: string): Promise<void> {
    await page.waitForURL(isProviderLogin);
    await page.fill('input[name=email]', account.email);
    await page.fill('input[name=password]', account.password);
    await Promise.all([page.waitForURL(landing), page.click('form button[type=submit]')]);
  }

  async function echoed(page: Page): Promise<Echo> {
    return JSON.parse(await page.locator('body').innerText()) as Echo;
  }

  beforeAll(async () => {
    [apps, browser] = await Promise.all([startProtectedApps(), launchChromium()]);
    ({ env, wiki, reports } = apps);
    nginx = await startNginx({ servers: apps.sites, frontdoorAddress: apps.frontdoorAddress });
  });
  afterAll(async () => {
    await browser?.close();
    await nginx?.close();
    await apps?.close();
  });

  it('signs in through the provider on the way to an app, refuses an app without its role, and asks again after logout', async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    await page.goto(`${wiki}/pages/home`);
    await signInAtProvider(page, DEVELOPER, `${wiki}/pages/home`);
    const { path, headers } = await echoed(page);
    expect(path).toBe('/pages/home');
    expect(headers['x-auth-request-email']).toBe(DEVELOPER.email);
    expect(headers['x-auth-request-groups']).toBe('developer');
    const { payload } = await jwtVerify(headers['x-frontdoor-assertion'], createRemoteJWKSet(new URL('/.well-known/jwks.json', env.url)), {
      issuer: env.url,
      audience: wiki,
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ email: DEVELOPER.email, sub: headers['x-auth-request-user'] });

    // Without the role: the page that names it, with Use another account, instead of the proxy's bare 403.
    const refused = await page.goto(`${reports}/q1`);
    expect(refused?.status()).toBe(403);
    expect(page.url()).toBe(`${env.url}/auth/forbidden?app=${encodeURIComponent(reports)}`);
    expect(await page.content()).toContain('Use another account');

    // Log out from the console; the next visit to the app starts at the provider's login form again.
    await page.goto(`${env.url}/servicecenter`);
    await page.getByRole('button', { name: 'Log out' }).click();
    // The provider sends the browser back with the state of the end_session request.
    const signedOutUrl = (url: URL) => url.origin === new URL(env.url).origin && url.pathname === '/auth/signed-out';
    const signOutButton = page.getByRole('button', { name: 'Sign out' });
    const outcome = await firstOf([page.waitForURL(signedOutUrl).then(() => 'signed-out' as const), signOutButton.waitFor({ state: 'visible' }).then(() => 'confirm' as const)]);
    if (outcome === 'confirm' && !signedOutUrl(new URL(page.url()))) await Promise.all([page.waitForURL(signedOutUrl), signOutButton.click()]);
    await page.goto(`${wiki}/after-logout`);
    await page.waitForURL(isProviderLogin);
    await context.close();
  });

  it('admits a user with the role, and sends a revoked session back through the login', async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    await page.goto(`${reports}/q1`);
    await signInAtProvider(page, ADMIN, `${reports}/q1`);
    expect((await echoed(page)).headers['x-auth-request-groups']).toBe('admin,developer');

    const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    await env.db.query('DELETE FROM sessions WHERE user_id = $1', [user.id]);
    await heardByService(env);
    requested.length = 0;
    await page.goto(`${reports}/q2`);
    // Only through a new login: the provider may come straight back (its own session) or ask again.
    const target = `${reports}/q2`;
    const where = await firstOf([page.waitForURL(target).then(() => 'app' as const), page.waitForURL(isProviderLogin).then(() => 'provider' as const)]);
    if (where === 'provider' && page.url() !== target) await signInAtProvider(page, ADMIN, target);
    expect(requested.some((url) => url.startsWith(`${env.url}/auth/login?returnTo=`))).toBe(true);
    expect((await echoed(page)).path).toBe('/q2');
    await context.close();
  });
});
