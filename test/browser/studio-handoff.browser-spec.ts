import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studioLogin } from '../../src/studio-client/studio-login.js';
import { launchChromium } from '../support/chromium.js';
import { freePort } from '../support/ports.js';
import { DEVELOPER, startTestService, type TestService } from '../support/service.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

// Screenshots are for people to look at; they go to a temporary folder, never into the repository.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || tmpdir();

describe.skipIf(lacks(CHROMIUM))('Service Studio handoff in a real browser (headless Chromium)', () => {
  let env: TestService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [env, browser] = await Promise.all([startTestService(), launchChromium()]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await env?.close();
  });

  async function newPage(options: { javaScriptEnabled: boolean }): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, ...options });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused/i.test(message.text())) problems.push(message.text());
    });
    return { page, problems };
  }

  async function signInAtProvider(page: Page, browserUrl: string): Promise<void> {
    await page.goto(browserUrl);
    await page.waitForURL((url) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/'));
    await page.fill('input[name=email]', DEVELOPER.email);
    await page.fill('input[name=password]', DEVELOPER.password);
    await page.click('form button[type=submit]');
  }

  const isLoopbackCallback = (url: URL) => url.hostname === '127.0.0.1' && url.pathname === '/callback';

  it('completes the login when the person clicks the real Open Service Studio button', async () => {
    // Without scripts the page cannot launch the Studio by itself: the button is all there is,
    // as in a browser that shows no prompt.
    const { page, problems } = await newPage({ javaScriptEnabled: false });
    let browserDone: Promise<void> = Promise.resolve();
    const lines: string[] = [];
    const result = await studioLogin({
      environment: env.url,
      client: 'service-studio',
      log: (line) => lines.push(line),
      onBrowserUrl: (browserUrl) => {
        browserDone = (async () => {
          await signInAtProvider(page, browserUrl);
          await page.waitForURL(browserUrl);
          const button = page.locator('#open-studio');
          await expect.poll(() => button.textContent()).toBe('Open Service Studio');
          expect(await page.locator('#signing-in').textContent()).toContain(`Signing in to Service Studio as ${DEVELOPER.name} (${DEVELOPER.email})`);
          await page.screenshot({ path: join(SCREENSHOT_DIR, 'frontdoor-open-service-studio.png'), fullPage: true });
          await Promise.all([page.waitForURL(isLoopbackCallback), button.click()]);
          await expect.poll(() => page.locator('#result').textContent()).toContain('You can close this window and return to Service Studio');
        })();
        return browserDone;
      },
    });
    await browserDone;

    expect(lines).toContain('Waiting to log in from your browser');
    expect(result).toMatchObject({ tokenType: 'Bearer', client: 'service-studio', user: { email: DEVELOPER.email, displayName: DEVELOPER.name } });
    const me = await fetch(`${env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${result.accessToken}` } });
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe(DEVELOPER.email);
    expect(problems).toEqual([]);
  });

  it('with JavaScript, waits for the click; the click completes the login; the page afterwards says it is done', async () => {
    const { page, problems } = await newPage({ javaScriptEnabled: true });
    let browserDone: Promise<void> = Promise.resolve();
    let handoffUrl = '';
    const result = await studioLogin({
      environment: env.url,
      onBrowserUrl: (browserUrl) => {
        handoffUrl = browserUrl;
        browserDone = (async () => {
          await signInAtProvider(page, browserUrl);
          await page.waitForURL(browserUrl);
          // Nothing launches by itself: the handoff stays pending until the person clicks.
          await page.waitForTimeout(500);
          expect(page.url()).toBe(browserUrl);
          const id = new URL(browserUrl).pathname.split('/').pop();
          expect((await (await fetch(`${env.url}/api/desktop/handoffs/${id}`)).json()).status).toBe('pending');
          await Promise.all([page.waitForURL(isLoopbackCallback), page.click('#open-studio')]);
          await expect.poll(() => page.locator('#result').textContent()).toContain('You can close this window and return to Service Studio');
        })();
        return browserDone;
      },
    });
    await browserDone;
    expect((await fetch(`${env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${result.accessToken}` } })).status).toBe(200);

    // Coming back to the handoff page later (history, a second click) shows a page, not an error.
    const again = await page.goto(handoffUrl);
    expect(again?.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('This sign-in was already used');
    expect(await page.locator('#open-studio').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  async function signedInPage(javaScriptEnabled: boolean): Promise<{ page: Page; problems: string[] }> {
    const opened = await newPage({ javaScriptEnabled });
    await signInAtProvider(opened.page, `${env.url}/servicecenter`);
    await opened.page.waitForURL(`${env.url}/servicecenter`);
    return opened;
  }

  async function createHandoff(redirectUri?: string): Promise<{ id: string; browserUrl: string; statusUrl: string }> {
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    const response = await fetch(`${env.url}/api/desktop/handoffs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client: 'service-studio', codeChallenge: challenge, codeChallengeMethod: 'S256', ...(redirectUri ? { redirectUri } : {}) }),
    });
    expect(response.status).toBe(201);
    return response.json();
  }

  it('keeps the person on the page, with the button and a sentence, when the Studio is not listening', async () => {
    const { page, problems } = await signedInPage(true);
    const closedPort = await freePort();
    const handoff = await createHandoff(`http://127.0.0.1:${closedPort}/callback`);
    await page.goto(handoff.browserUrl);
    expect(await page.locator('#studio-not-listening').isVisible()).toBe(false);
    await page.click('#open-studio');
    await page.locator('#studio-not-listening').waitFor({ state: 'visible' });
    expect(await page.locator('#studio-not-listening').textContent()).toContain('Service Studio is not listening on this computer');
    expect(page.url()).toBe(handoff.browserUrl);
    expect(await page.locator('#open-studio').isVisible()).toBe(true);
    // The check carries nothing and mints nothing.
    expect((await (await fetch(handoff.statusUrl)).json()).status).toBe('pending');
    expect(problems.filter((problem) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(problem))).toEqual([]);
  });

  it.each([true, false])('cancels with JavaScript %s: the status becomes denied and the page says so', async (javaScriptEnabled) => {
    const { page, problems } = await signedInPage(javaScriptEnabled);
    const handoff = await createHandoff();
    await page.goto(handoff.browserUrl);
    await Promise.all([page.waitForURL(`${handoff.browserUrl}/cancel`), page.click('#cancel')]);
    expect(await page.locator('#cancelled').textContent()).toContain('The sign-in to Service Studio was cancelled');
    expect(await (await fetch(handoff.statusUrl)).json()).toMatchObject({ status: 'denied', reason: 'cancelled' });
    expect(problems).toEqual([]);
  });
});
