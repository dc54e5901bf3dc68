import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from './support/browser.js';
import { adminToken, createScimToken, scimClient } from './support/scim.js';
import { ADMIN, signInThroughDevIdp, startTestService, STRANGER, type TestService } from './support/service.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * SCIM group membership feeds the provider's role rules on `groups` at once: adding a signed-in
 * person to platform-admins opens LifeTime on their next request, removing them closes it.
 */
describe('SCIM groups and role rules', () => {
  let env: TestService;
  let scim: ReturnType<typeof scimClient>;
  let browser: TestBrowser;
  let userId: string;
  let groupId: string;

  async function lifetimeStatus(): Promise<number> {
    const response = await browser.request(`${env.url}/lifetime`);
    await response.arrayBuffer();
    return response.status;
  }
  async function roles(): Promise<string[]> {
    return (await env.db.query<{ roles: string[] }>('SELECT roles FROM users WHERE id = $1', [userId]))[0].roles;
  }

  beforeAll(async () => {
    env = await startTestService({
      OIDC_ROLE_SOURCE: 'provider',
      OIDC_ROLE_RULES: JSON.stringify([
        { claim: 'groups', value: 'platform-admins', role: 'admin' },
        { claim: 'groups', value: 'contractors', role: 'developer' },
      ]),
    });
    const admin = await adminToken(env.db.url, ADMIN.email);
    scim = scimClient(env.url, (await createScimToken(env.url, admin, 'default', 'Entra ID')).token);
    const created = await scim('POST', '/Users', { userName: STRANGER.email, displayName: 'Sam Stranger' });
    expect(created.status).toBe(201);
    userId = String(created.body.id);
    groupId = String((await scim('POST', '/Groups', { displayName: 'platform-admins', members: [] })).body.id);
    // The development provider says this account is in "contractors" only: a developer.
    browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, STRANGER)).status).toBe(200);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('adding the user to platform-admins opens LifeTime on their next request; removing closes it', async () => {
    expect(await roles()).toEqual(['developer']);
    expect(await lifetimeStatus()).toBe(403);

    const added = await scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }] });
    expect(added.status).toBe(204);
    expect(await roles()).toEqual(['admin', 'developer']);
    expect(await lifetimeStatus()).toBe(200);

    const removed = await scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${userId}"]` }] });
    expect(removed.status).toBe(204);
    expect(await roles()).toEqual(['developer']);
    expect(await lifetimeStatus()).toBe(403);

    const synced = await env.db.query<{ details: { before: string[]; after: string[] } }>(`SELECT details FROM audit_events WHERE type = 'user.roles_synced' AND user_id = $1 ORDER BY id`, [userId]);
    expect(synced.map((event) => event.details.after)).toEqual([['admin', 'developer'], ['developer']]);
  });

  it('deleting the group takes the role away too, and a fresh sign-in counts the SCIM groups', async () => {
    await scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
    expect(await lifetimeStatus()).toBe(200);
    // A new sign-in (the token says only "contractors") keeps admin: the SCIM group counts.
    const again = new TestBrowser();
    expect((await signInThroughDevIdp(again, `${env.url}/lifetime`, STRANGER)).status).toBe(200);
    expect((await scim('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect(await roles()).toEqual(['developer']);
    expect(await lifetimeStatus()).toBe(403);
  });
});
