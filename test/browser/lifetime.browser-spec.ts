import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/admin/admin-cli.js';
import { IdentityProvidersService } from '../../src/identity-providers/identity-providers.service.js';
import { TestBrowser } from '../support/browser.js';
import { launchChromium } from '../support/chromium.js';
import { freePort } from '../support/ports.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, STRANGER, type TestService } from '../support/service.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

// LifeTime's pages are documented with these screenshots; they are kept in the repository.
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
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
    const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
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
      await page.screenshot({ path: join(DOCS, 'sign-in-unavailable.png'), fullPage: true });

      await Promise.all([page.waitForURL(`${env.url}/auth/break-glass`), page.getByRole('link', { name: 'break-glass sign-in' }).click()]);
      await page.fill('input[name=email]', 'ops.admin@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await page.screenshot({ path: join(DOCS, 'break-glass-sign-in.png'), fullPage: true });
      await Promise.all([page.waitForURL(`${env.url}/lifetime`), page.getByRole('button', { name: 'Sign in to LifeTime' }).click()]);

      await expect.poll(() => page.locator('#break-glass-banner').isVisible()).toBe(true);
      expect(await page.locator('#signed-in-user').textContent()).toBe('Ops Admin');
      await page.screenshot({ path: join(DOCS, 'lifetime-break-glass.png'), fullPage: true });

      // A stored provider that is down too: the Test says what is wrong, and it is disabled from the page.
      await env.service.app.get(IdentityProvidersService).create({ id: 'corp-backup', displayName: 'Corp backup', issuer: `http://127.0.0.1:${await freePort()}/realms/backup`, clientId: 'front-door', clientSecret: 'secret-0123456789' });
      await page.goto(`${env.url}/lifetime/authentication/corp-backup`);
      await page.getByRole('button', { name: 'Run the Test' }).click();
      await expect.poll(() => page.locator('#last-test').textContent()).toContain('failed');
      expect(await page.locator('#test-steps tr[data-step="discovery"]').textContent()).toContain('discovery_unreachable');
      await page.getByRole('button', { name: 'Disable' }).click();
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
      await page.screenshot({ path: join(DOCS, 'not-registered-use-another-account.png'), fullPage: true });

      await page.getByText('Use another account').click();
      // The provider asks for the account again although it still has the stranger's session.
      await providerSignIn(page, ADMIN);
      await page.waitForURL(`${env.url}/lifetime`);
      await expect.poll(() => page.locator('#signed-in-user').textContent()).toBe(ADMIN.name);
      await page.screenshot({ path: join(DOCS, 'lifetime-overview.png'), fullPage: true });

      await page.goto(`${env.url}/`);
      expect(await page.locator('#signed-in-as').textContent()).toContain(ADMIN.name);
      await page.screenshot({ path: join(DOCS, 'start-page-signed-in.png'), fullPage: true });
      await page.context().close();
    });

    it('revokes a developer’s console session from their page in LifeTime', async () => {
      const developer = new TestBrowser();
      expect((await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
      const [{ id: developerId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
      expect(await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [developerId])).toHaveLength(1);

      const page = await newPage();
      await page.goto(`${env.url}/lifetime/users`);
      await providerSignIn(page, ADMIN);
      await page.waitForURL(`${env.url}/lifetime/users`);
      await page.screenshot({ path: join(DOCS, 'lifetime-users.png'), fullPage: true });

      await Promise.all([page.waitForURL(`${env.url}/lifetime/users/${developerId}`), page.getByRole('link', { name: DEVELOPER.name }).click()]);
      await expect.poll(() => page.locator('#console-sessions tbody tr').count()).toBe(1);
      await page.screenshot({ path: join(DOCS, 'lifetime-user.png'), fullPage: true });

      await page.locator('#console-sessions').getByRole('button', { name: 'Revoke' }).click();
      await expect.poll(() => page.locator('#confirm-question').textContent()).toContain('Revoke this console session?');
      await page.screenshot({ path: join(DOCS, 'lifetime-confirm.png'), fullPage: true });
      await Promise.all([page.waitForURL(`${env.url}/lifetime/users/${developerId}`), page.getByRole('button', { name: 'Revoke session' }).click()]);

      await expect.poll(() => page.locator('#flash').textContent()).toBe('Console session revoked.');
      expect(await page.locator('#no-console-sessions').isVisible()).toBe(true);
      await page.screenshot({ path: join(DOCS, 'lifetime-user-session-revoked.png'), fullPage: true });
      expect(await env.db.query('SELECT 1 FROM sessions WHERE user_id = $1', [developerId])).toHaveLength(0);
      expect((await developer.request(`${env.url}/servicecenter`)).status).toBe(302);
      await page.context().close();
    });
  });
});
