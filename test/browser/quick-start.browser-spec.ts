import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStudio, type StudioIo } from '../../src/studio-client/studio-cli.js';
import { launchChromium } from '../support/chromium.js';
import { screenshot, SCREENSHOT_VIEWPORT } from '../support/screenshots.js';
import { ADMIN, startTestService, type TestService } from '../support/service.js';

/**
 * The README's quick start, step by step, in a real browser: start, open LifeTime and sign in at the
 * development provider, look through LifeTime, log a Studio in with the reference client, log a
 * command-line tool in with the device flow, log out. With UPDATE_SCREENSHOTS=1 it refreshes the
 * quick start's pictures in docs/ (quick-start-*.png).
 */
describe('The README quick start in headless Chromium', () => {
  let env: TestService;
  let browser: Browser;
  let page: Page;
  let home: string;
  const problems: string[] = [];

  /** The reference client's command line, as `npm run studio -- …` runs it, with this test's browser. */
  function studio(argv: string[], openBrowser: (url: string) => Promise<void> = async () => undefined): { done: Promise<number>; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const io: StudioIo = { env: { STUDIO_CREDENTIALS_FILE: join(home, 'credentials.json') }, out: (line) => out.push(line), err: (line) => err.push(line), openBrowser };
    return { done: runStudio(argv, io), out, err };
  }

  /** No page is wider than the window: every table fits, so nothing had to be squeezed or cut. */
  async function expectNoSidewaysScroll(): Promise<void> {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, page.url()).toBeLessThanOrEqual(0);
  }

  /** Each bit of text in these cells stays on one line: no email, event type or time is broken. */
  async function expectNoWrappedText(cells: string): Promise<void> {
    expect(await page.locator(cells).count(), cells).toBeGreaterThan(0);
    const wrapped = await page.locator(cells).evaluateAll((elements) =>
      elements.flatMap((cell) => {
        const texts: string[] = [];
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          if (!node.textContent!.trim()) continue;
          const range = document.createRange();
          range.selectNodeContents(node);
          if (range.getClientRects().length > 1) texts.push(node.textContent!);
        }
        return texts;
      }),
    );
    expect(wrapped, cells).toEqual([]);
  }

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'frontdoor-quick-start-'));
    // `npm start` runs this same service with the development provider; the test gives it its own
    // database instead of the embedded one, and a 1 s device poll interval to keep the walk short.
    [env, browser] = await Promise.all([startTestService({ DEVICE_POLL_INTERVAL_SECONDS: '1' }), launchChromium()]);
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    // Whatever the pages' Content-Security-Policy blocks (an inline script, the favicon) shows up here.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused/i.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('1. the start page lists the consoles, without LifeTime before sign-in', async () => {
    await page.goto(`${env.url}/`);
    expect(await page.locator('h1').textContent()).toBe('Management consoles');
    expect(await page.locator('#consoles a').allTextContents()).toEqual(['Service Center']);
    // The favicon the page links is served, and is an image Chromium can draw.
    const icon = await page.evaluate(async () => {
      const link = document.querySelector<HTMLLinkElement>('link[rel=icon]')!;
      const image = new Image();
      image.src = link.href;
      await image.decode();
      return { href: link.getAttribute('href'), width: image.naturalWidth };
    });
    expect(icon).toEqual({ href: '/favicon.svg', width: expect.any(Number) });
    expect(icon.width).toBeGreaterThan(0);
    await screenshot(page, 'quick-start-start-page');
  });

  it('2. opening LifeTime signs the admin in at the development provider and lands on LifeTime', async () => {
    // The README says: open /lifetime.
    await page.goto(`${env.url}/lifetime`);
    await page.waitForURL((url) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/'));
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await screenshot(page, 'quick-start-provider-sign-in');
    await Promise.all([page.waitForURL(`${env.url}/lifetime`), page.click('form button[type=submit]')]);
    expect(await page.locator('#signed-in-user').textContent()).toBe(ADMIN.name);
    await screenshot(page, 'quick-start-lifetime');
  });

  it('3. LifeTime: every page fits 1280 px; users are counted and sortable; the own session is marked', async () => {
    await page.goto(`${env.url}/lifetime/users`);
    expect(await page.locator('#user-count').textContent()).toMatch(/^1–\d+ of \d+ users$/);
    await Promise.all([page.waitForURL(/sort=email/), page.getByRole('link', { name: 'Email' }).click()]);
    expect(await page.locator('th[aria-sort=ascending]').textContent()).toContain('Email');
    await expectNoSidewaysScroll();
    await expectNoWrappedText('#users tbody td');

    await page.getByRole('link', { name: ADMIN.name }).click();
    await expect.poll(() => page.locator('#current-session').textContent()).toBe('this session');
    const browserCell = page.locator('tr.current-session td.ua span');
    expect(await browserCell.textContent()).toMatch(/^Headless Chrome \d+ on Linux$/);
    expect(await browserCell.getAttribute('title')).toContain('HeadlessChrome/');
    await expectNoSidewaysScroll();

    await page.goto(`${env.url}/lifetime/authentication/default`);
    await expectNoSidewaysScroll();
    await page.goto(`${env.url}/lifetime/authentication/new`);
    // Chromium compiles `pattern` with the v flag; an invalid one would be ignored and this would pass.
    await page.fill('input[name=id]', 'Not_A_Slug');
    expect(await page.locator('input[name=id]').evaluate((input: HTMLInputElement) => input.validity.patternMismatch)).toBe(true);
    await page.fill('input[name=id]', 'corp-sso');
    expect(await page.locator('input[name=id]').evaluate((input: HTMLInputElement) => input.validity.patternMismatch)).toBe(false);
    await page.goto(`${env.url}/lifetime/authentication`);
    await expectNoSidewaysScroll();

    await page.goto(`${env.url}/lifetime/audit`);
    await expectNoSidewaysScroll();
    await expectNoWrappedText('#audit-events tbody td:not(:last-child)');
    await page.locator('#audit-events details').first().locator('summary').click();
    expect(await page.locator('#audit-events details[open] dt').first().isVisible()).toBe(true);
  });

  it('4. the reference client logs Service Studio in through the browser, which is already signed in', async () => {
    const login = studio(['login', '--environment', env.url], async (url) => {
      await page.goto(url);
      const button = page.locator('#open-studio');
      await expect.poll(() => button.textContent()).toBe('Open Service Studio');
      await screenshot(page, 'quick-start-open-service-studio');
      await Promise.all([page.waitForURL((target) => target.hostname === '127.0.0.1'), button.click()]);
      await expect.poll(() => page.locator('body').textContent()).toContain('return to Service Studio');
    });
    expect(await login.done).toBe(0);
    expect(login.err).toEqual([]);
    expect(login.out).toContain('Waiting to log in from your browser');
    expect(login.out).toContain(`Logged in as ${ADMIN.name} (${ADMIN.email})`);
    const whoami = studio(['whoami']);
    expect(await whoami.done).toBe(0);
    expect(whoami.out.join('\n')).toContain(ADMIN.email);
  });

  it('5. the reference client logs a command-line tool in with the device flow; the code is typed at /device', async () => {
    const login = studio(['login', '--device', '--environment', env.url]);
    // The client prints the URL and the code, then polls while the person types the code in a browser.
    let prompt: RegExpExecArray | null = null;
    await expect.poll(() => (prompt = login.out.map((line) => /open (\S+) in a browser and enter the code (\S+)/.exec(line)).find(Boolean) ?? null)).not.toBeNull();
    const [, verificationUri, userCode] = prompt!;
    expect(verificationUri).toBe(`${env.url}/device`);
    await page.goto(verificationUri);
    await page.fill('input[name=user_code]', userCode);
    await page.locator('main form button[type=submit]').first().click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Allow this device to sign in as you?');
    await screenshot(page, 'quick-start-device-allow');
    await page.locator('#allow').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Device allowed');
    expect(await login.done).toBe(0);
    expect(login.out).toContain(`Logged in as ${ADMIN.name} (${ADMIN.email})`);
  });

  it('6. Log out ends the session at the provider too; LifeTime then asks for a sign-in again; the client logs out', async () => {
    await page.goto(`${env.url}/`);
    expect(await page.locator('#consoles a').allTextContents()).toEqual(['Service Center', 'LifeTime']);
    await Promise.all([page.waitForURL((url) => url.pathname === '/auth/signed-out'), page.getByRole('button', { name: 'Log out' }).click()]);
    await screenshot(page, 'quick-start-signed-out');
    await page.goto(`${env.url}/lifetime`);
    await page.waitForURL((url) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/'));
    expect(await page.locator('input[name=password]').isVisible()).toBe(true);

    const logout = studio(['logout']);
    expect(await logout.done).toBe(0);
    const whoami = studio(['whoami']);
    expect(await whoami.done).toBe(1);
    expect(problems).toEqual([]);
  });
});
