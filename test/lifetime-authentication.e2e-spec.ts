import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DevIdp } from '../src/dev-idp/dev-idp.js';
import { IdentityProviderRegistry } from '../src/identity-providers/identity-provider.registry.js';
import { TestBrowser, findForm, type Page } from './support/browser.js';
import { IdentityProvidersService } from '../src/identity-providers/identity-providers.service.js';
import { freePort } from './support/ports.js';
import { startRogueOp } from './support/rogue-op.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';
import { SECOND, startSecondProvider } from './support/second-provider.js';

describe('LifeTime › Authentication', () => {
  let env: TestService;
  let second: DevIdp;
  let admin: TestBrowser;
  let token: string;

  const writes = async () => ({
    providers: await env.db.query('SELECT id, version, enabled, client_secret_encrypted FROM identity_providers ORDER BY id'),
    tests: await env.db.query('SELECT provider_id, tested_at FROM identity_provider_tests ORDER BY provider_id'),
    audit: (await env.db.query('SELECT count(*) AS n FROM audit_events'))[0],
  });

  function post(browser: TestBrowser, path: string, fields: Record<string, string>): Promise<Page> {
    return browser.open(`${env.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: env.url }, body: new URLSearchParams(fields) });
  }

  beforeAll(async () => {
    const port = await freePort();
    second = await startSecondProvider(`http://localhost:${port}`);
    env = await startTestService({ PORT: String(port), OIDC_HTTP_TIMEOUT_MS: '1500' });
    admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime/authentication`, ADMIN)).status).toBe(200);
    token = findForm((await admin.open(`${env.url}/lifetime/authentication`)).body, '/auth/logout').fields._csrf;
  });
  afterAll(async () => {
    await env?.close();
    await second?.close();
  });

  it('lists the environment provider, read-only on its page with the reason, with the URIs to register', async () => {
    const list = await admin.open(`${env.url}/lifetime/authentication`);
    expect(list.status).toBe(200);
    expect(list.body).toContain('data-provider="default"');
    expect(list.body).toContain('not tested yet');
    const page = await admin.open(`${env.url}/lifetime/authentication/default`);
    expect(page.body).toContain('id="read-only"');
    expect(page.body).toContain('comes from the environment');
    expect(page.body).not.toContain('id="provider-form"');
    expect(page.body).toContain(`value="${env.url}/auth/callback/default"`);
    expect(page.body).toContain(`value="${env.url}/auth/backchannel-logout/default"`);
    // The copy buttons' script is a file of this service, run by the page's CSP nonce.
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers.get('content-security-policy') ?? '')![1];
    expect(page.body).toContain(`<script src="/assets/copy-button.js" nonce="${nonce}"></script>`);
    const script = await fetch(`${env.url}/assets/copy-button.js`);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(await script.text()).toContain('data-copy');
  });

  it('adds a provider: Get details fills the form from discovery, Save creates it, Test shows each step', async () => {
    const form = await admin.open(`${env.url}/lifetime/authentication/new`);
    const details = await admin.submit(form, { issuer: second.issuer, action: 'details' }, '/lifetime/authentication/new');
    expect(details.status).toBe(200);
    expect(details.body).toContain('id="discovery-steps"');
    for (const step of ['discovery', 'issuer', 'endpoints', 'jwks']) expect(details.body).toContain(`data-step="${step}"`);
    expect(details.body).not.toContain('data-step="client"');
    const filled = findForm(details.body, '/lifetime/authentication/new').fields;
    expect(filled).toMatchObject({ issuer: second.issuer, scopes: 'openid profile email', displayName: new URL(second.issuer).host });
    expect(await env.db.query('SELECT 1 FROM identity_providers')).toHaveLength(0);

    const saved = await admin.submit(details, { id: 'second', displayName: 'Second Provider', clientId: SECOND.clientId, clientSecret: SECOND.clientSecret, emailDomains: 'second.example', enabled: 'on', action: 'save' }, '/lifetime/authentication/new');
    expect(saved.status).toBe(200);
    expect(new URL(saved.url).pathname).toBe('/lifetime/authentication/second');
    expect(saved.body).toContain('Added Second Provider.');
    expect(saved.body).toContain(`value="${env.url}/auth/callback/second"`);
    expect(saved.body).toContain(`value="${env.url}/auth/backchannel-logout/second"`);
    expect(saved.body).not.toContain(SECOND.clientSecret);
    const [row] = await env.db.query<{ enabled: boolean; email_domains: string[] }>('SELECT enabled, email_domains FROM identity_providers WHERE id = $1', ['second']);
    expect(row).toEqual({ enabled: true, email_domains: ['second.example'] });

    const tested = await admin.submit(saved, {}, '/lifetime/authentication/second/test');
    expect(tested.body).toContain('Test passed: every step succeeded.');
    expect(tested.body).toContain('id="test-steps"');
    expect(tested.body).toContain('data-step="client"');
    expect(tested.body).not.toContain('tag off');
    const list = await admin.open(`${env.url}/lifetime/authentication`);
    expect(list.body).toMatch(/data-provider="second"[\s\S]*?passed/);
    // The admin API shows the same result (one service behind both).
    const [{ ok }] = await env.db.query<{ ok: boolean }>('SELECT ok FROM identity_provider_tests WHERE provider_id = $1', ['second']);
    expect(ok).toBe(true);
  });

  it('edits with the secret write-only, disables and enables again, each with a flash message', async () => {
    const page = await admin.open(`${env.url}/lifetime/authentication/second`);
    const [before] = await env.db.query<{ client_secret_encrypted: string }>('SELECT client_secret_encrypted FROM identity_providers WHERE id = $1', ['second']);
    const saved = await admin.submit(page, { displayName: 'Second IdP', action: 'save' }, '/lifetime/authentication/second/settings');
    expect(saved.body).toContain('Saved Second IdP.');
    const [after] = await env.db.query<{ client_secret_encrypted: string; display_name: string }>('SELECT client_secret_encrypted, display_name FROM identity_providers WHERE id = $1', ['second']);
    expect(after).toEqual({ client_secret_encrypted: before.client_secret_encrypted, display_name: 'Second IdP' });

    // Disable asks first; the question alone changes nothing.
    const auditBefore = await env.db.query('SELECT count(*) AS n FROM audit_events');
    const confirm = await admin.submit(saved, {}, '/lifetime/authentication/second/disable');
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Disable the identity provider Second IdP (second)?');
    expect((await env.db.query('SELECT enabled FROM identity_providers WHERE id = $1', ['second']))[0]).toEqual({ enabled: true });
    expect(await env.db.query('SELECT count(*) AS n FROM audit_events')).toEqual(auditBefore);
    const disabled = await admin.submit(confirm, {}, '/lifetime/authentication/second/disable');
    expect(disabled.body).toContain('Disabled Second IdP');
    expect(disabled.body).toContain('<dd id="provider-state">disabled</dd>');
    const enabled = await admin.submit(disabled, {}, '/lifetime/authentication/second/enable');
    expect(enabled.body).toContain('Enabled Second IdP.');

    const invalid = await admin.submit(enabled, { scopes: 'profile', action: 'save' }, '/lifetime/authentication/second/settings');
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain('scopes must include openid');
  });

  it('refuses to save a new issuer with the secret field empty: 400 naming the field, nothing written', async () => {
    const page = await admin.open(`${env.url}/lifetime/authentication/second`);
    const before = await writes();
    const refused = await admin.submit(page, { issuer: 'https://elsewhere.example', action: 'save' }, '/lifetime/authentication/second/settings');
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('clientSecret is required when issuer changes');
    expect(findForm(refused.body, '/lifetime/authentication/second/settings').fields.issuer).toBe('https://elsewhere.example');
    expect(await writes()).toEqual(before);
  });

  it('refuses a developer every Authentication page and form: 403, nothing written', async () => {
    const developer = new TestBrowser();
    // Two providers are enabled now, so the sign-in goes to the default one by its own route.
    expect((await signInThroughDevIdp(developer, `${env.url}/auth/login/default?returnTo=%2Fservicecenter`, DEVELOPER)).status).toBe(200);
    expect((await developer.open(`${env.url}/lifetime/authentication`)).status).toBe(403);
    const before = await writes();
    const developerToken = findForm((await developer.open(`${env.url}/servicecenter`)).body, '/auth/logout').fields._csrf;
    for (const path of ['/lifetime/authentication/new', '/lifetime/authentication/second/settings', '/lifetime/authentication/second/test', '/lifetime/authentication/second/disable', '/lifetime/authentication/second/delete']) {
      const page = await post(developer, path, { _csrf: developerToken, confirm: 'yes', id: 'sneaky', displayName: 'x', issuer: second.issuer, clientId: 'x', action: 'save' });
      expect(page.status, path).toBe(403);
    }
    expect((await developer.open(`${env.url}/lifetime/authentication/second`)).status).toBe(403);
    expect(await writes()).toEqual(before);
  });

  it.each([
    ['missing', undefined],
    ['wrong', 'not-the-token'],
  ])('refuses every form whose CSRF token is %s: 403, nothing written', async (_label, csrf) => {
    const before = await writes();
    for (const path of ['/lifetime/authentication/new', '/lifetime/authentication/second/settings', '/lifetime/authentication/second/test', '/lifetime/authentication/second/disable', '/lifetime/authentication/second/delete']) {
      const fields: Record<string, string> = { confirm: 'yes', id: 'forged', displayName: 'Forged', issuer: second.issuer, clientId: 'x', action: 'save' };
      if (csrf) fields._csrf = csrf;
      const page = await post(admin, path, fields);
      expect(page.status, path).toBe(403);
      expect(page.body).toContain('did not come from this site');
    }
    expect(await writes()).toEqual(before);
  });

  it('shows a token endpoint answer the Test cannot read as a warning: flash, step and list', async () => {
    const op = await startRogueOp({ clientId: 'front-door-warned', clientSecret: 'warned-secret-0123456789' });
    const providers = env.service.app.get(IdentityProvidersService);
    try {
      op.probeAnswer = { status: 502, body: 'Bad gateway' };
      await providers.create({ id: 'warned', displayName: 'Warned', issuer: op.issuer, clientId: 'front-door-warned', clientSecret: 'warned-secret-0123456789', enabled: false });
      const tested = await post(admin, '/lifetime/authentication/warned/test', { _csrf: token });
      expect(tested.body).toContain('class="flash warning"');
      expect(tested.body).toContain('Test passed with a warning at the client step');
      expect(tested.body).toContain('<strong>passed with a warning</strong>');
      expect(tested.body).toMatch(/data-step="client"[\s\S]*?tag warn">warning: client_unexpected_response/);
      const list = await admin.open(`${env.url}/lifetime/authentication`);
      expect(list.body).toMatch(/data-provider="warned"[\s\S]*?passed, warning at client/);
    } finally {
      await providers.delete('warned').catch(() => undefined);
      await op.close();
    }
  });

  it('refuses to delete or disable the last way to sign in (no other enabled provider, no break-glass admin): 409 with the reason, nothing written', async () => {
    const registry = env.service.app.get(IdentityProviderRegistry);
    // As if OIDC_* configured nothing: "second" is the only enabled provider.
    const only = vi.spyOn(registry, 'all').mockImplementation(() => [registry.find('second')!]);
    try {
      const before = await writes();
      const confirm = await post(admin, '/lifetime/authentication/second/delete', { _csrf: token });
      expect(confirm.body).toContain('Delete the identity provider Second IdP (second)?');
      const refused = await admin.submit(confirm, {}, '/lifetime/authentication/second/delete');
      expect(refused.status).toBe(409);
      expect(refused.body).toContain('it is the only enabled identity provider and no admin has a break-glass password');
      const disable = await post(admin, '/lifetime/authentication/second/disable', { _csrf: token, confirm: 'yes' });
      expect(disable.status).toBe(409);
      // The admin API refuses alike: the rule lives in the service behind both.
      const api = await admin.open(`${env.url}/api/admin/identity-providers/second`, { method: 'DELETE', headers: { origin: env.url } });
      expect(api.status).toBe(409);
      expect(JSON.parse(api.body)).toMatchObject({ error: 'last_sign_in_method' });
      expect(await writes()).toEqual(before);

      // With a break-glass admin there is still a way in.
      await env.db.query(`UPDATE users SET break_glass_password_hash = 'argon2-hash-stand-in' WHERE email = $1`, [ADMIN.email]);
      const deleted = await admin.submit(confirm, {}, '/lifetime/authentication/second/delete');
      expect(deleted.status).toBe(200);
      expect(new URL(deleted.url).pathname).toBe('/lifetime/authentication');
      expect(deleted.body).toContain('Deleted Second IdP.');
      expect(await env.db.query('SELECT 1 FROM identity_providers WHERE id = $1', ['second'])).toHaveLength(0);
      expect(await env.db.query('SELECT 1 FROM identity_provider_tests WHERE provider_id = $1', ['second'])).toHaveLength(0);
    } finally {
      only.mockRestore();
      await env.db.query('UPDATE users SET break_glass_password_hash = NULL');
    }
  });
});
