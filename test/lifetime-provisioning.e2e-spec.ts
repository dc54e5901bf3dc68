import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from './support/browser.js';
import { scimClient } from './support/scim.js';
import { ADMIN, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** LifeTime › Authentication › a provider › Provisioning (SCIM): base URL, a token shown once, revoke. */
describe('LifeTime › Provisioning (SCIM)', () => {
  let env: TestService;
  let admin: TestBrowser;

  beforeAll(async () => {
    env = await startTestService();
    admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime`, ADMIN)).status).toBe(200);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('shows the base URL, generates a token shown once, lists it, and revokes it after a confirmation', async () => {
    const page = await admin.open(`${env.url}/lifetime/authentication/default`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h2>Provisioning (SCIM)</h2>');
    expect(page.body).toContain(`id="scim-base-url" value="${env.url}/scim/v2"`);
    expect(page.body).toContain('id="no-scim-tokens"');

    const generated = await admin.submit(page, { name: 'Entra ID provisioning' }, '/scim-tokens');
    expect(generated.status).toBe(201);
    expect(generated.headers.get('cache-control')).toBe('no-store');
    const token = /id="scim-token" value="(fdscim_[^"]+)"/.exec(generated.body)?.[1];
    expect(token).toBeDefined();
    expect((await scimClient(env.url, token!)('GET', '/ServiceProviderConfig')).status).toBe(200);

    const again = await admin.open(`${env.url}/lifetime/authentication/default`);
    expect(again.body).not.toContain(token!);
    expect(again.body).toContain('<td>Entra ID provisioning</td>');

    const confirm = await admin.submit(again, {}, '/revoke');
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Revoke the SCIM token &quot;Entra ID provisioning&quot;');
    const revoked = await admin.submit(confirm, {}, '/revoke');
    expect(revoked.status).toBe(200);
    expect(revoked.url).toBe(`${env.url}/lifetime/authentication/default#provisioning`);
    expect(revoked.body).toContain('Revoked the SCIM token');
    expect((await scimClient(env.url, token!)('GET', '/ServiceProviderConfig')).status).toBe(401);
    expect(await env.db.query(`SELECT type, actor_email FROM audit_events WHERE type LIKE 'admin.scim_token.%' ORDER BY id`)).toEqual([
      { type: 'admin.scim_token.created', actor_email: ADMIN.email },
      { type: 'admin.scim_token.revoked', actor_email: ADMIN.email },
    ]);
  });

  it('a token without a name is refused on the page, and nothing is stored', async () => {
    const page = await admin.open(`${env.url}/lifetime/authentication/default`);
    const refused = await admin.submit(page, { name: '   ' }, '/scim-tokens');
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('name must be 1 to 100 characters');
    expect(refused.body).not.toContain('id="scim-token"');
    expect(await env.db.query('SELECT id FROM scim_tokens')).toEqual([]);
  });
});
