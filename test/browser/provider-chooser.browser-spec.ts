import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/dev-idp/dev-idp.js';
import { IdentityProvidersService } from '../../src/identity-providers/identity-providers.service.js';
import { launchChromium } from '../support/chromium.js';
import { freePort } from '../support/ports.js';
import { DEVELOPER, startTestService, type TestService } from '../support/service.js';
import { SECOND, startSecondProvider } from '../support/second-provider.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || tmpdir();
describe.skipIf(lacks(CHROMIUM))('choosing the second identity provider in a real browser (headless Chromium)', () => {
  let env: TestService;
  let second: DevIdp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    second = await startSecondProvider(`http://localhost:${port}`);
    [env, browser] = await Promise.all([startTestService({ PORT: String(port) }), launchChromium()]);
    await env.service.app.get(IdentityProvidersService).create({ id: 'second', displayName: 'Second Provider', issuer: second.issuer, ...SECOND });
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await env?.close();
    await second?.close();
  });

  it('shows the chooser, signs in through the second provider, and lands on the console page', async () => {
    await page.goto(`${env.url}/servicecenter`);
    await page.waitForURL((url) => url.pathname === '/auth/login');
    await expect.poll(() => page.locator('a.provider').count()).toBe(2);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-provider-chooser.png'), fullPage: true });

    await Promise.all([page.waitForURL((url) => url.origin === second.issuer && url.pathname.startsWith('/interaction/')), page.getByRole('link', { name: 'Sign in with Second Provider' }).click()]);
    await page.fill('input[name=email]', DEVELOPER.email);
    await page.fill('input[name=password]', DEVELOPER.password);
    await Promise.all([page.waitForURL(`${env.url}/servicecenter`), page.click('form button[type=submit]')]);

    await expect.poll(() => page.locator('#signed-in-user').textContent()).toBe(DEVELOPER.name);
    expect(await page.title()).toBe('Service Center');
    const cookies = await context.cookies(`${env.url}/auth/login`);
    expect(cookies.find((cookie) => cookie.name === 'frontdoor.idp')).toMatchObject({ value: 'second', httpOnly: true });
    expect(pageErrors).toEqual([]);
  });
});
