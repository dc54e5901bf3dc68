import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/admin/admin-cli.js';
import { IdentityProvidersService } from '../../src/identity-providers/identity-providers.service.js';
import { TestBrowser } from '../support/browser.js';
import { launchChromium } from '../support/chromium.js';
import { screenshot, SCREENSHOT_VIEWPORT } from '../support/screenshots.js';
import { freePort } from '../support/ports.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, STRANGER, type TestService } from '../support/service.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

const PASSWORD = 'break-glass-password-for-tests';

async function cli(env: TestService, argv: string[], input = ''): Promise<string[]> {
  const out: string[] = [];
  await runCli(argv, { DATABASE_URL: env.db.url }, { out: (l) => out.push(l), err: () => undefined, readInput: async () => input });
  return out;
}

describe.skipIf(lacks(CHROMIUM))('LifeTime in a real browser (headless Chromium)', () => {
  let browser: Browser;
  const pageErrors: string[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    expect(pageErrors).toEqual([]);
  });

  describe('with the identity provider stopped', () => {
    let env: TestService;
    beforeAll(async () => {
      // A provider that is not running: nothing listens at its issuer.
      env = await startTestService({ OIDC_ISSUER: `http://127.0.0.1:${await freePort()}/realms/corp`, OIDC_CLIENT_ID: 'front-door', OIDC_CLIENT_SECRET: 'secret-0123456789' });
      await cli(env, ['users', 'add', '--email', 'ops.admin@example.com', '--name', 'Ops Admin', '--admin']);
      await cli(env, ['users', 'set-password', '--email', 'ops.admin@example.com'], `${PASSWORD}\n`);
    });
    afterAll(async () => {
      await env?.close();
    });

    it('lets an admin in through break-glass from "Sign-in is unavailable", to LifeTime only', async () => {
      const page = await newPage();
      const unavailable = await page.goto(`${env.url}/lifetime`);
      expect(unavailable?.status()).toBe(503);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Sign-in is unavailable');
      await screenshot(page, 'sign-in-unavailable');

      await Promise.all([page.waitForURL(`${env.url}/auth/break-glass`), page.getByRole('link', { name: 'break-glass sign-in' }).click()]);
      await page.fill('input[name=email]', 'ops.admin@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await screenshot(page, 'break-glass-sign-in');
      await Promise.all([page.waitForURL(`${env.url}/lifetime`), page.getByRole('button', { name: 'Sign in to LifeTime' }).click()]);

      await expect.poll(() => page.locator('#break-glass-banner').isVisible()).toBe(true);
      expect(await page.locator('#signed-in-user').textContent()).toBe('Ops Admin');
      await screenshot(page, 'lifetime-break-glass');

      // A stored provider that is down too: the Test says what is wrong, and it is disabled from the page.
      await env.service.app.get(IdentityProvidersService).create({ id: 'corp-backup', displayName: 'Corp backup', issuer: `http://127.0.0.1:${await freePort()}/realms/backup`, clientId: 'front-door', clientSecret: 'secret-0123456789' });
      await page.goto(`${env.url}/lifetime/authentication/corp-backup`);
      await page.getByRole('button', { name: 'Run the Test' }).click();
      await expect.poll(() => page.locator('#last-test').textContent()).toContain('failed');
      expect(await page.locator('#test-steps tr[data-step="discovery"]').textContent()).toContain('discovery_unreachable');
      await page.getByRole('button', { name: 'Disable' }).click();
      await expect.poll(() => page.locator('#confirm-question').textContent()).toContain('Disable the identity provider Corp backup (corp-backup)?');
      await page.getByRole('button', { name: 'Disable provider' }).click();
      await expect.poll(() => page.locator('#provider-state').textContent()).toBe('disabled');
      expect(await page.locator('#break-glass-banner').isVisible()).toBe(true);

      const serviceCenter = await page.goto(`${env.url}/servicecenter`);
      expect(serviceCenter?.status()).toBe(403);
      expect(await page.locator('main').textContent()).toContain('opens LifeTime only');
      await page.context().close();
    });
  });

  describe('with the development identity provider', () => {
    let env: TestService;
    beforeAll(async () => {
      env = await startTestService();
    });
    afterAll(async () => {
      await env?.close();
    });

    const isProviderLogin = (url: URL) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/');

    async function providerSignIn(page: Page, account: { email: string; password: string }): Promise<void> {
      await page.waitForURL(isProviderLogin);
      await page.fill('input[name=email]', account.email);
      await page.fill('input[name=password]', account.password);
      await page.click('form button[type=submit]');
    }

    it('switches from a stranger, refused as not registered, to the admin with Use another account', async () => {
      const page = await newPage();
      await page.goto(`${env.url}/lifetime`);
      await providerSignIn(page, STRANGER);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Not registered in this environment');
      await screenshot(page, 'not-registered-use-another-account');

      await page.getByText('Use another account').click();
      // The provider asks for the account again although it still has the stranger's session.
      await providerSignIn(page, ADMIN);
      await page.waitForURL(`${env.url}/lifetime`);
      await expect.poll(() => page.locator('#signed-in-user').textContent()).toBe(ADMIN.name);
      await screenshot(page, 'lifetime-overview');

      await page.goto(`${env.url}/`);
      expect(await page.locator('#signed-in-as').textContent()).toContain(ADMIN.name);
      await screenshot(page, 'start-page-signed-in');
      await page.context().close();
    });

    it('revokes a developer’s console session from their page in LifeTime', async () => {
      const developer = new TestBrowser();
      expect((await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
      const [{ id: developerId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
      expect(await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [developerId])).toHaveLength(1);

      // A team's worth of users, so the list has pages (all named after "Dev", so the developer stays on the first).
      await env.db.query(
        `INSERT INTO users (email, display_name, roles)
         SELECT lower(first) || '.' || lower(last) || '@example.com', first || ' ' || last, '{developer}'
         FROM unnest(array['Grace','Hedy','Ivan','Joan','Katherine','Linus','Margaret','Niklaus']) AS first,
              unnest(array['Hopper','Lamarr','Sutherland','Clarke','Johnson']) AS last`,
      );
      const page = await newPage();
      await page.goto(`${env.url}/lifetime/users`);
      await providerSignIn(page, ADMIN);
      await page.waitForURL(`${env.url}/lifetime/users`);
      expect(await page.locator('#user-count').textContent()).toBe('1–25 of 42 users');
      expect(await page.locator('#user-pages').textContent()).toContain('Page 1 of 2');
      await screenshot(page, 'lifetime-users');

      await Promise.all([page.waitForURL(`${env.url}/lifetime/users/${developerId}`), page.getByRole('link', { name: DEVELOPER.name }).click()]);
      await expect.poll(() => page.locator('#console-sessions tbody tr').count()).toBe(1);
      await screenshot(page, 'lifetime-user');

      await page.locator('#console-sessions').getByRole('button', { name: 'Revoke' }).click();
      await expect.poll(() => page.locator('#confirm-question').textContent()).toContain('Revoke this console session?');
      await screenshot(page, 'lifetime-confirm');
      await Promise.all([page.waitForURL(`${env.url}/lifetime/users/${developerId}`), page.getByRole('button', { name: 'Revoke session' }).click()]);

      await expect.poll(() => page.locator('#flash').textContent()).toBe('Console session revoked.');
      expect(await page.locator('#no-console-sessions').isVisible()).toBe(true);
      await screenshot(page, 'lifetime-user-session-revoked');
      expect(await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [developerId])).toHaveLength(0);
      expect((await developer.request(`${env.url}/servicecenter`)).status).toBe(302);
      await page.context().close();
    });
  });
});
