import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { DEVELOPER, startTestService, type TestService } from '../support/service.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

// Screenshots are for people to look at; they go to a temporary folder, never into the repository.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || tmpdir();

describe.skipIf(lacks(CHROMIUM))('console sign-in in a real browser (headless Chromium)', () => {
  let env: TestService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const visited: string[] = [];

  beforeAll(async () => {
    [env, browser] = await Promise.all([startTestService(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(frame.url());
    });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await env?.close();
  });

  const isProviderLogin = (url: URL) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/');

  it('signs in through the provider login form, shows the user, and logs out through the provider', async () => {
    // No session yet: the console sends the browser to the provider's own login page.
    await page.goto(`${env.url}/servicecenter`);
    await page.waitForURL(isProviderLogin);
    await expect.poll(() => page.locator('input[name=email]').isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-idp-login.png'), fullPage: true });

    await page.fill('input[name=email]', DEVELOPER.email);
    await page.fill('input[name=password]', DEVELOPER.password);
    await Promise.all([page.waitForURL(`${env.url}/servicecenter`), page.click('form button[type=submit]')]);

    await expect.poll(() => page.locator('#signed-in-user').textContent()).toBe(DEVELOPER.name);
    expect(await page.title()).toBe('Service Center');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-servicecenter-signed-in.png'), fullPage: true });

    // Log out: the service ends its session and sends the browser to the provider's end-session
    // endpoint, whose confirmation page submits itself by script (the button is the fallback).
    visited.length = 0;
    await page.getByRole('button', { name: 'Log out' }).click();
    // The provider sends the browser back with the state of the end_session request.
    const signedOutUrl = (url: URL) => url.origin === new URL(env.url).origin && url.pathname === '/auth/signed-out';
    const signOutButton = page.getByRole('button', { name: 'Sign out' });
    const outcome = await Promise.race([
      page.waitForURL(signedOutUrl).then(() => 'signed-out' as const),
      signOutButton.waitFor({ state: 'visible' }).then(() => 'confirm' as const),
    ]);
    if (outcome === 'confirm' && !signedOutUrl(new URL(page.url()))) {
      await Promise.all([page.waitForURL(signedOutUrl), signOutButton.click()]);
    }
    await page.waitForURL(signedOutUrl);
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are signed out');
    expect(visited.some((url) => url.startsWith(`${env.service.issuer}/session/end`))).toBe(true);

    // The session is gone at the service and at the provider: the login form is back.
    await page.goto(`${env.url}/servicecenter`);
    await page.waitForURL(isProviderLogin);
    await expect.poll(() => page.locator('input[name=password]').isVisible()).toBe(true);

    expect(pageErrors).toEqual([]);
  });
});
