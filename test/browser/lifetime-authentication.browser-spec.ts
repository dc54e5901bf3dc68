import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/dev-idp/dev-idp.js';
import { launchChromium } from '../support/chromium.js';
import { screenshot, SCREENSHOT_VIEWPORT } from '../support/screenshots.js';
import { freePort } from '../support/ports.js';
import { ADMIN, startTestService, type TestService } from '../support/service.js';
import { SECOND, startSecondProvider } from '../support/second-provider.js';
import { CHROMIUM, lacks } from '../support/system-packages.js';

describe.skipIf(lacks(CHROMIUM))('LifeTime › Authentication in a real browser (headless Chromium)', () => {
  let browser: Browser;
  let env: TestService;
  let second: DevIdp;
  const problems: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    second = await startSecondProvider(`http://localhost:${port}`);
    env = await startTestService({ PORT: String(port) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
    await second?.close();
    expect(problems).toEqual([]);
  });

  it('adds a second provider with Get details, copies its redirect URI, and tests it on the page', async () => {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.url });
    const page: Page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    // Any inline script or style the page CSP blocks shows up here.
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) problems.push(`${page.url()}: ${message.text()}`);
    });

    await page.goto(`${env.url}/lifetime/authentication`);
    await page.waitForURL((url) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/'));
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('form button[type=submit]');
    await page.waitForURL(`${env.url}/lifetime/authentication`);
    await page.click('text=Add a provider');

    await page.fill('input[name=issuer]', second.issuer);
    await page.click('button:has-text("Get details")');
    await expect.poll(() => page.locator('#discovery-steps tbody tr').count()).toBe(4);
    expect(await page.inputValue('input[name=scopes]')).toBe('openid profile email');
    await page.fill('input[name=id]', 'second');
    await page.fill('input[name=displayName]', 'Second Provider');
    await page.fill('input[name=clientId]', SECOND.clientId);
    await page.fill('input[name=clientSecret]', SECOND.clientSecret);
    await page.fill('input[name=emailDomains]', 'second.example');
    await screenshot(page, 'lifetime-authentication-add');
    await page.click('button:has-text("Add provider")');
    await page.waitForURL(`${env.url}/lifetime/authentication/second`);
    expect(await page.locator('#flash').textContent()).toContain('Added Second Provider.');

    await page.click('button[data-copy="redirect-uri"]');
    await expect.poll(() => page.locator('button[data-copy="redirect-uri"]').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${env.url}/auth/callback/second`);

    await page.click('button:has-text("Run the Test")');
    await page.waitForURL(/#test$/);
    await expect.poll(() => page.locator('#flash').textContent()).toContain('Test passed');
    expect(await page.locator('#test-steps tbody tr').count()).toBe(5);
    expect(await page.locator('#test-steps .tag.off').count()).toBe(0);
    await screenshot(page, 'lifetime-authentication-provider');

    await page.click('text=← Authentication');
    await expect.poll(() => page.locator('tr[data-provider="second"]').textContent()).toContain('passed');
    await screenshot(page, 'lifetime-authentication');

    // The audit trail shows what was just done, filtered with the page's own form.
    await page.click('nav.tabs >> text=Audit');
    await page.selectOption('select[name=type]', 'admin.provider.tested');
    await page.click('button:has-text("Filter")');
    // Two Tests: the one run before the provider was added (a failing one would have asked first), and Run the Test.
    await expect.poll(() => page.locator('#audit-events tbody tr').count()).toBe(2);
    expect(await page.locator('#audit-events tbody tr').first().getAttribute('data-type')).toBe('admin.provider.tested');
    await page.selectOption('select[name=type]', '');
    await page.click('button:has-text("Filter")');
    await expect.poll(() => page.locator('#audit-events tr[data-type="admin.provider.created"]').count()).toBe(1);
    await screenshot(page, 'lifetime-audit');
    await context.close();
  });

  it('shows the client secret field only while a client authentication that sends a secret is chosen', async () => {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page: Page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    // Straight to the environment's provider: with a second one enabled, /lifetime would offer a choice.
    await page.goto(`${env.url}/auth/login/default?returnTo=%2Flifetime%2Fauthentication%2Fnew`);
    await page.waitForURL((url) => url.origin === env.service.issuer && url.pathname.startsWith('/interaction/'));
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('form button[type=submit]');
    await page.waitForURL(`${env.url}/lifetime/authentication/new`);
    const secret = page.locator('input[name=clientSecret]');
    expect(await secret.isVisible()).toBe(true);
    await page.selectOption('select[name=clientAuth]', 'private_key_jwt');
    await expect.poll(() => secret.isVisible()).toBe(false);
    await page.selectOption('select[name=clientAuth]', 'client_secret_basic');
    await expect.poll(() => secret.isVisible()).toBe(true);

    // Saved with private_key_jwt, its page offers the JWKS URL and the certificate instead of a secret.
    await page.fill('input[name=issuer]', second.issuer);
    await page.fill('input[name=id]', 'signed');
    await page.fill('input[name=displayName]', 'Signed Provider');
    await page.fill('input[name=clientId]', SECOND.clientId);
    await page.selectOption('select[name=clientAuth]', 'private_key_jwt');
    await page.click('button:has-text("Add provider")');
    // The second provider knows this client by its secret only: the Test run before adding fails, so it is added anyway.
    await page.click('#save-anyway');
    await page.waitForURL(`${env.url}/lifetime/authentication/signed`);
    expect(await page.inputValue('#client-jwks-uri')).toBe(`${env.url}/auth/client-jwks.json`);
    expect(await page.inputValue('#certificate-current')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await page.locator('#client-secret-field').isVisible()).toBe(false);
    await screenshot(page, 'lifetime-authentication-private-key-jwt');
    await context.close();
  });
});
