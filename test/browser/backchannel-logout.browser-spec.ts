import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { DEVELOPER, startTestService, type TestService } from '../support/service.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

describe.skipIf(lacks(CHROMIUM))('a logout at the identity provider ends the console session here (headless Chromium)', () => {
  let env: TestService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [env, browser] = await Promise.all([startTestService(), launchChromium()]);
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await env?.close();
  });

  const isProviderLogin = (url: URL) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/');

  async function consoleSessions(): Promise<number> {
    const [row] = await env.db.query<{ n: string }>(
      'SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.provider_sid IS NOT NULL',
      [DEVELOPER.email],
    );
    return Number(row.n);
  }

  it('signs in, signs out at the development provider only, and the console asks for a login again', async () => {
    await page.goto(`${env.url}/servicecenter`);
    await page.waitForURL(isProviderLogin);
    await page.fill('input[name=email]', DEVELOPER.email);
    await page.fill('input[name=password]', DEVELOPER.password);
    await Promise.all([page.waitForURL(`${env.url}/servicecenter`), page.click('form button[type=submit]')]);
    await expect.poll(() => page.locator('#signed-in-user').textContent()).toBe(DEVELOPER.name);
    expect(await consoleSessions()).toBe(1);

    // The provider's own end-session page, not this service's logout: only the back-channel call can end our session.
    await page.goto(`${env.service.issuer}/session/end`);
    await expect.poll(() => page.locator('body').textContent()).toMatch(/signed out/i);
    await expect.poll(consoleSessions, { timeout: 10_000 }).toBe(0);

    await page.goto(`${env.url}/servicecenter`);
    await page.waitForURL(isProviderLogin);
    const [event] = await env.db.query<{ outcome: string; provider_id: string }>(
      "SELECT outcome, provider_id FROM audit_events WHERE type = 'logout.backchannel' ORDER BY id DESC LIMIT 1",
    );
    expect(event).toEqual({ outcome: 'success', provider_id: 'default' });
  });
});
