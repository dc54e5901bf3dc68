import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { TestBrowser, findForm, type Page } from './support/browser.js';
import { startRogueOp, type RogueOp } from './support/rogue-op.js';
import { ROGUE_CLIENT } from './support/rogue-service.js';
import { ADMIN, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/**
 * Status that tells the truth about a provider whose Test fails (its discovery document names
 * another issuer): LifeTime asks before saving or enabling it, the chooser does not send people
 * into it, and "Sign-in is unavailable" leads back to the chooser.
 */
describe('a provider whose Test fails', () => {
  let env: TestService;
  let op: RogueOp;
  let goodOp: RogueOp;
  let admin: TestBrowser;
  let adminToken: string;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${env.url}/api/admin/identity-providers${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } });
  const stored = async () => (await env.db.query<{ issuer: string; enabled: boolean; version: number }>(`SELECT issuer, enabled, version FROM identity_providers WHERE id = 'broken'`))[0];

  beforeAll(async () => {
    env = await startTestService();
    op = await startRogueOp({ ...ROGUE_CLIENT, discoveryIssuer: 'https://elsewhere.example.com' });
    goodOp = await startRogueOp(ROGUE_CLIENT);
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', ADMIN.email], { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    adminToken = out[0];
    admin = new TestBrowser();
    // Signed in while the development provider is the only one, so no chooser stands in the way.
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime/authentication`, ADMIN)).status).toBe(200);
    const created = await api('', {
      method: 'POST',
      body: JSON.stringify({ id: 'broken', displayName: 'Broken Corp', issuer: op.issuer, clientId: ROGUE_CLIENT.clientId, clientSecret: ROGUE_CLIENT.clientSecret, enabled: false }),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await env?.close();
    await op?.close();
    await goodOp?.close();
  });

  it('enabling it shows the failed Test and asks; Enable anyway enables it', async () => {
    const page = await admin.open(`${env.url}/lifetime/authentication/broken`);
    const asked = await admin.submit(page, {}, '/broken/enable');
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('The Test of these settings failed at the issuer step');
    expect(asked.body).toContain('id="preflight-steps"');
    expect(asked.body).toContain('Enable anyway');
    expect((await stored()).enabled).toBe(false);

    const enabled = await admin.submit(asked, {}, '/broken/enable');
    expect(new URL(enabled.url).pathname).toBe('/lifetime/authentication/broken');
    expect((await stored()).enabled).toBe(true);
  });

  it('saving its settings runs the Test first, and saves only with Save anyway', async () => {
    const before = await stored();
    const page = await admin.open(`${env.url}/lifetime/authentication/broken`);
    const asked = await admin.submit(page, { displayName: 'Broken Corp (renamed)', clientSecret: 'typed-secret-0123', action: 'save' }, '/broken/settings');
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('The Test of these settings failed at the issuer step');
    expect(await stored()).toEqual(before);
    // The form comes back as typed, the secret included, so Save anyway sends what was typed.
    const form = findForm(asked.body, '/broken/settings');
    expect(form.fields).toMatchObject({ displayName: 'Broken Corp (renamed)', clientSecret: 'typed-secret-0123' });
    expect(asked.body).toContain('id="save-anyway"');

    const saved = await admin.submit(asked, { confirm: 'anyway' }, '/broken/settings');
    expect(new URL(saved.url).pathname).toBe('/lifetime/authentication/broken');
    expect(saved.body).toContain('Saved Broken Corp (renamed).');
    expect((await stored()).version).toBe(before.version + 1);
  });

  it('a save whose Test passes needs no confirmation, and its Test becomes the provider’s last Test of this configuration', async () => {
    const created = await api('', {
      method: 'POST',
      body: JSON.stringify({ id: 'good', displayName: 'Good Corp', issuer: goodOp.issuer, clientId: ROGUE_CLIENT.clientId, clientSecret: ROGUE_CLIENT.clientSecret, enabled: true }),
    });
    expect(created.status).toBe(201);
    const page = await admin.open(`${env.url}/lifetime/authentication/good`);
    expect(page.body).toContain('Not tested yet.');
    const saved = await admin.submit(page, { displayName: 'Good Corp (renamed)', action: 'save' }, '/good/settings');
    expect(saved.body).toContain('Saved Good Corp (renamed).');
    expect(saved.body).toContain('Last Test: <strong>passed</strong>');
    const view = await (await api('/good')).json();
    expect(view.lastTest).toMatchObject({ ok: true, currentConfiguration: true });
    expect((await api('/good', { method: 'DELETE' })).status).toBe(204);
  });

  it('the chooser shows it as unavailable instead of linking to it, even when it was used last', async () => {
    expect((await (await api('/broken/test', { method: 'POST' })).json()).ok).toBe(false);
    const browser = new TestBrowser();
    const chooser = await browser.open(`${env.url}/auth/login?choose=1&returnTo=%2Fservicecenter`);
    expect(chooser.status).toBe(200);
    expect(chooser.body).toContain('href="/auth/login/default?');
    expect(chooser.body).not.toContain('href="/auth/login/broken');
    expect(chooser.body).toMatch(/<li class="unavailable" data-provider="broken">[\s\S]*Unavailable right now/);

    browser.setCookie('localhost', 'frontdoor.idp', 'broken');
    const remembered = await browser.open(`${env.url}/servicecenter`);
    expect(remembered.status).toBe(200);
    expect(remembered.body).toContain('data-provider="broken"');
    expect(new URL(remembered.url).pathname).toBe('/auth/login');
  });

  it('"Sign-in is unavailable" links back to the chooser, keeping where the person was going', async () => {
    const page: Page = await new TestBrowser().open(`${env.url}/auth/login/broken?returnTo=%2Fservicecenter`);
    expect(page.status).toBe(503);
    expect(page.body).toContain('Sign-in is unavailable');
    expect(page.body).toContain('id="back-to-chooser" href="/auth/login?choose=1&amp;returnTo=%2Fservicecenter"');
  });
});
