import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/dev-idp/dev-idp.js';
import { IdentityProvidersService } from '../../src/identity-providers/identity-providers.service.js';
import { launchChromium } from '../support/chromium.js';
import { freePort } from '../support/ports.js';
import { ADMIN, DEVELOPER, startTestService, type TestService } from '../support/service.js';
import { SECOND, startSecondProvider } from '../support/second-provider.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || tmpdir();

/**
 * Two real OpenID Providers (oidc-provider): the environment's, through which the developer's
 * account already signs in, and a second one asserting the same verified email. The second is
 * linked only after the person confirms by signing in through the first, from the page that says so.
 */
describe.skipIf(lacks(CHROMIUM))('confirm-by-signing-in in a real browser (headless Chromium)', () => {
  let env: TestService;
  let second: DevIdp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  async function signIn(page: Page, account: { email: string; password: string }, landing: string | ((url: URL) => boolean)): Promise<void> {
    await page.fill('input[name=email]', account.email);
    await page.fill('input[name=password]', account.password);
    await Promise.all([page.waitForURL(landing), page.click('form button[type=submit]')]);
  }

  const secondLinks = async () => (await env.db.query("SELECT user_id FROM linked_identities WHERE provider_id = 'second'")).length;

  beforeAll(async () => {
    const port = await freePort();
    second = await startSecondProvider(`http://localhost:${port}`);
    [env, browser] = await Promise.all([startTestService({ PORT: String(port) }), launchChromium()]);
    await env.service.app.get(IdentityProvidersService).create({ id: 'second', displayName: 'Second Provider', issuer: second.issuer, ...SECOND });
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await env?.close();
    await second?.close();
  });

  it('refuses the second provider until the person signs in through the first from the confirmation page, then links it', async () => {
    // The developer's account signs in through the environment's provider: that link exists.
    const first = await newPage();
    await first.goto(`${env.url}/auth/login/default?returnTo=%2Fservicecenter`);
    await signIn(first, DEVELOPER, `${env.url}/servicecenter`);

    // Elsewhere, the second provider says it is the same email.
    const page = await newPage();
    await page.goto(`${env.url}/auth/login/second?returnTo=%2Fservicecenter`);
    await signIn(page, DEVELOPER, (url) => url.pathname === '/auth/callback/second');
    expect(await page.locator('h1').textContent()).toBe('Confirm it is you');
    const displayName = env.service.config.oidc.displayName;
    expect(await page.locator('main').textContent()).toContain(`${DEVELOPER.email} signs in to this environment through ${displayName}`);
    expect(await secondLinks()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-confirm-link.png'), fullPage: true });

    // The button asks the first provider for the account again, with the account named.
    await Promise.all([page.waitForURL((url) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/')), page.getByRole('link', { name: `Sign in with ${displayName}` }).click()]);
    expect(await page.inputValue('input[name=email]')).toBe(DEVELOPER.email);
    await signIn(page, DEVELOPER, `${env.url}/servicecenter`);
    await expect.poll(() => page.locator('#signed-in-user').textContent()).toBe(DEVELOPER.name);
    expect(await secondLinks()).toBe(1);

    // From now on the second provider signs the developer in directly.
    const later = await newPage();
    await later.goto(`${env.url}/auth/login/second?returnTo=%2Fservicecenter`);
    await signIn(later, DEVELOPER, `${env.url}/servicecenter`);
    await expect.poll(() => later.locator('#signed-in-user').textContent()).toBe(DEVELOPER.name);
    expect(pageErrors).toEqual([]);
  });

  it('shows the link on the user page, and a provider\'s role rules with their Preview in LifeTime', async () => {
    const page = await newPage();
    await page.goto(`${env.url}/auth/login/default?returnTo=%2Flifetime%2Fusers`);
    await signIn(page, ADMIN, `${env.url}/lifetime/users`);
    await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/lifetime/users/')), page.getByRole('link', { name: DEVELOPER.name }).click()]);
    expect(await page.locator('#identities tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-user-identities.png'), fullPage: true });

    await page.goto(`${env.url}/lifetime/authentication/second`);
    await page.selectOption('select[name=roleSource]', 'provider');
    await page.fill('input[name=rule_claim_0]', 'groups');
    await page.fill('input[name=rule_value_0]', 'platform-admins');
    await page.selectOption('select[name=rule_role_0]', 'admin');
    await Promise.all([page.waitForURL(`${env.url}/lifetime/authentication/second/access`), page.getByRole('button', { name: 'Preview' }).click()]);
    expect(await page.locator('#preview-roles').textContent()).toBe('admin');
    await page.locator('#who-gets-in').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-role-rules-preview.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('tells the person what to ask for when the provider grants no role', async () => {
    await env.service.app.get(IdentityProvidersService).update('second', { roleSource: 'provider', roleRules: [{ claim: 'groups', value: 'nobody-has-this', role: 'developer' }] });
    const page = await newPage();
    await page.goto(`${env.url}/auth/login/second?returnTo=%2Fservicecenter`);
    await signIn(page, DEVELOPER, (url) => url.pathname === '/auth/callback/second');
    expect(await page.locator('h1').textContent()).toBe('No access to this environment');
    expect(await page.locator('main').textContent()).toContain('Ask your administrator at Second Provider');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-no-role.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
