import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser, findForm, type Page } from './support/browser.js';
import { discover, requestDeviceCode, type ServerMetadata } from './support/device-flow-client.js';
import { DEVELOPER, isDevIdpLogin, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** Pages that used to leave a person stuck: a wrong device code, the wrong account, an error with nothing to quote. */
describe('no dead ends on the device and error pages', () => {
  let env: TestService;
  let metadata: ServerMetadata;

  beforeAll(async () => {
    env = await startTestService();
    metadata = await discover(env.url);
  });
  afterAll(async () => {
    await env?.close();
  });

  async function signedIn(): Promise<{ browser: TestBrowser; page: Page }> {
    const browser = new TestBrowser();
    const page = await signInThroughDevIdp(browser, `${env.url}/device`, DEVELOPER);
    expect(page.status).toBe(200);
    return { browser, page };
  }

  it('shows who is signed in on the code page, with Use another account', async () => {
    const { page } = await signedIn();
    expect(page.body).toContain('id="user-code"');
    expect(page.body).toContain(`Signed in as <strong>${DEVELOPER.name}</strong> (${DEVELOPER.email})`);
    expect(findForm(page.body, '/auth/switch-account').fields.returnTo).toBe('/device');
  });

  it('gives the code box again, with the error, its code and the request id, for a wrong code', async () => {
    const { browser } = await signedIn();
    const wrong = await browser.open(`${env.url}/device?user_code=BCDF-GHJK`);
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('There is no pending sign-in with this code');
    expect(wrong.body).toContain('id="user-code" value="BCDF-GHJK"');
    expect(wrong.body).toContain('Error <code>device_code_unknown</code>');
    expect(wrong.body).toContain(`Request ID <code>${wrong.headers.get('x-request-id')}</code>`);
    expect(wrong.body).toContain('action="/auth/switch-account"');

    // Typed again, right this time: the Allow page, which also offers another account.
    const code = await requestDeviceCode(metadata, 'cli');
    const box = findForm(wrong.body, '/device');
    expect(box.method.toLowerCase()).toBe('get');
    const retyped = await browser.open(`${new URL(box.action, wrong.url)}?user_code=${encodeURIComponent(code.user_code)}`);
    expect(retyped.status).toBe(200);
    expect(retyped.body).toContain('id="allow"');
    expect(retyped.body).toContain(`id="device-user">${DEVELOPER.name} (${DEVELOPER.email})`);
    expect(findForm(retyped.body, '/auth/switch-account').fields.returnTo).toBe(`/device?user_code=${encodeURIComponent(code.user_code)}`);
  });

  it('Use another account on a device page ends the session and asks the provider for the account again', async () => {
    const { browser, page } = await signedIn();
    const switched = await browser.submit(page, {}, '/auth/switch-account');
    expect(isDevIdpLogin(switched)).toBe(true);
    expect(switched.hops.some((hop) => hop.location?.includes('prompt=login'))).toBe(true);
    expect((await browser.request(`${env.url}/device`)).status).toBe(302);
  });

  it('puts a short error code and the request id on the shared error page', async () => {
    const response = await fetch(`${env.url}/no-such-page`, { headers: { accept: 'text/html', 'x-request-id': 'support-ref-42' } });
    expect(response.status).toBe(404);
    const body = await response.text();
    expect(body).toContain('Error <code>not_found</code> · Request ID <code>support-ref-42</code>');
    const unavailable = await new TestBrowser().open(`${env.url}/auth/login/nobody`);
    expect(unavailable.status).toBe(404);
    expect(unavailable.body).toContain('Error <code>unknown_provider</code>');
    expect(unavailable.body).toContain(`Request ID <code>${unavailable.headers.get('x-request-id')}</code>`);
  });
});
