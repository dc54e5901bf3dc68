import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../src/dev-idp/dev-idp.js';
import { ScimGroupsService } from '../src/provisioning/scim-groups.service.js';
import { TestBrowser } from './support/browser.js';
import { freePort } from './support/ports.js';
import { adminToken, createScimToken, loadFixture, replay, scimClient } from './support/scim.js';
import { SECOND, startSecondProvider } from './support/second-provider.js';
import { ADMIN, signInThroughDevIdp, startTestService, STRANGER, type TestService } from './support/service.js';

/**
 * SCIM 2.0 as Entra ID and Okta drive it, against the real service and PostgreSQL: tokens per
 * provider, the directories' request sequences replayed from fixtures, and what each change does
 * to the platform's users.
 */
describe('SCIM provisioning', () => {
  let env: TestService;
  let second: DevIdp;
  let admin: string;
  let token: { id: string; token: string };
  let scim: ReturnType<typeof scimClient>;

  async function auditEvents(type: string): Promise<{ actor_id: string | null; actor_email: string | null; user_id: string | null; email: string | null; details: Record<string, unknown> }[]> {
    return env.db.query(`SELECT actor_id, actor_email, user_id, email, details FROM audit_events WHERE type = $1 ORDER BY id`, [type]);
  }

  function api(path: string, init: { method?: string; json?: unknown; bearer?: string } = {}): Promise<Response> {
    return fetch(`${env.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.bearer ?? admin}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
  }

  beforeAll(async () => {
    const port = await freePort();
    second = await startSecondProvider(`http://localhost:${port}`);
    env = await startTestService({ PORT: String(port) });
    admin = await adminToken(env.db.url, ADMIN.email);
    const created = await api('/api/admin/identity-providers', {
      method: 'POST',
      json: { id: 'second', displayName: 'Second Provider', issuer: second.issuer, clientId: SECOND.clientId, clientSecret: SECOND.clientSecret },
    });
    expect(created.status).toBe(201);
    token = await createScimToken(env.url, admin, 'default', 'Entra ID provisioning');
    scim = scimClient(env.url, token.token);
  });
  afterAll(async () => {
    await env?.close();
    await second?.close();
  });

  describe("Entra ID's provisioning cycle, replayed", () => {
    it('answers every request as Entra ID expects, and the platform follows', async () => {
      const saved = await replay(scim, loadFixture('entra-id.json'));
      const [user] = await env.db.query<{ email: string; active: boolean; provisioned_by: string; display_name: string }>('SELECT email, active, provisioned_by, display_name FROM users WHERE id = $1', [saved.user]);
      // Deleted through SCIM: deactivated here, kept for the audit trail.
      expect(user).toEqual({ email: '5b50642d@contoso.example', active: false, provisioned_by: 'default', display_name: 'Updated Display' });
      const [record] = await env.db.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM scim_users WHERE user_id = $1', [saved.user]);
      expect(record.deleted_at).not.toBeNull();
      expect(await env.db.query('SELECT * FROM scim_groups')).toEqual([]);
    });

    it('names the token as the actor of every scim.* event', async () => {
      for (const type of ['scim.user.created', 'scim.user.updated', 'scim.user.deactivated', 'scim.user.deleted', 'scim.group.created', 'scim.group.updated', 'scim.group.deleted']) {
        const events = await auditEvents(type);
        expect(events.length, type).toBeGreaterThan(0);
        expect(events.every((event) => event.actor_id === token.id && event.actor_email === 'Entra ID provisioning'), type).toBe(true);
      }
      const byActor = await (await api(`/api/admin/audit?actor=${encodeURIComponent('Entra ID provisioning')}&type=scim.user.created`)).json();
      expect(byActor.events[0]).toMatchObject({ type: 'scim.user.created', actorId: token.id, actorEmail: 'Entra ID provisioning', email: expect.stringContaining('@contoso.example') });
    });
  });

  describe("Okta's SCIM test suite, replayed", () => {
    it('answers every request as Okta expects', async () => {
      const okta = await createScimToken(env.url, admin, 'default', 'Okta');
      const saved = await replay(scimClient(env.url, okta.token), loadFixture('okta.json'));
      const [user] = await env.db.query<{ active: boolean; display_name: string }>('SELECT active, display_name FROM users WHERE id = $1', [saved.user]);
      expect(user).toEqual({ active: false, display_name: 'Another Cyjqxzpa' });
      // The password Okta sends is never kept.
      expect(JSON.stringify(await env.db.query('SELECT attributes FROM scim_users'))).not.toContain('1mz050nq');
    });
  });

  describe('users of one provider', () => {
    it("a token of provider A cannot see or touch provider B's users and groups", async () => {
      const b = await createScimToken(env.url, admin, 'second', 'Second directory');
      const scimB = scimClient(env.url, b.token);
      const created = await scimB('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'only.b@second.example', active: true });
      expect(created.status).toBe(201);
      const id = String(created.body.id);
      const group = await scimB('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'b-team', members: [{ value: id }] });
      expect(group.status).toBe(201);
      const groupId = String(group.body.id);

      expect((await scim('GET', `/Users/${id}`)).status).toBe(404);
      expect((await scim('GET', '/Users?filter=userName eq "only.b@second.example"')).body.totalResults).toBe(0);
      expect((await scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(404);
      expect((await scim('PUT', `/Users/${id}`, { userName: 'taken.over@contoso.example', active: false })).status).toBe(404);
      expect((await scim('DELETE', `/Users/${id}`)).status).toBe(404);
      expect((await scim('GET', `/Groups/${groupId}`)).status).toBe(404);
      expect((await scim('DELETE', `/Groups/${groupId}`)).status).toBe(404);
      // Nor can A put B's user into one of its own groups.
      const stolen = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'a-team', members: [{ value: id }] });
      expect(stolen.status).toBe(400);
      expect(stolen.body.scimType).toBe('invalidValue');
      // Nor can it create a user with B's user's userName.
      expect((await scim('POST', '/Users', { userName: 'ONLY.B@second.example' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });

      const [user] = await env.db.query<{ active: boolean; email: string }>('SELECT active, email FROM users WHERE id = $1', [id]);
      expect(user).toEqual({ active: true, email: 'only.b@second.example' });
      expect((await scimB('GET', `/Groups/${groupId}`)).body.members).toEqual([expect.objectContaining({ value: id })]);
    });

    it('nor can it touch users the platform did not get from its directory', async () => {
      const [adminUser] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
      expect((await scim('PATCH', `/Users/${adminUser.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(404);
      expect((await scim('POST', '/Users', { userName: ADMIN.email })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
      expect((await env.db.query<{ active: boolean }>('SELECT active FROM users WHERE id = $1', [adminUser.id]))[0].active).toBe(true);
    });

    it('a user created by provider B links at first login through B only', async () => {
      const b = await createScimToken(env.url, admin, 'second', 'Second directory (login)');
      expect((await scimClient(env.url, b.token)('POST', '/Users', { userName: STRANGER.email, active: true })).status).toBe(201);

      const throughDefault = await signInThroughDevIdp(new TestBrowser(), `${env.url}/auth/login/default?returnTo=%2Fservicecenter`, STRANGER);
      expect(throughDefault.status).toBe(403);
      expect(throughDefault.body).toContain('not registered');
      const [refusal] = (await env.db.query<{ reason: string }>(`SELECT reason FROM audit_events WHERE type = 'login.refused' ORDER BY id DESC LIMIT 1`));
      expect(refusal.reason).toBe('provisioned_elsewhere');
      expect(await env.db.query(`SELECT l.provider_id FROM linked_identities l JOIN users u ON u.id = l.user_id WHERE u.email = $1`, [STRANGER.email])).toEqual([]);

      const throughSecond = await signInThroughDevIdp(new TestBrowser(), `${env.url}/auth/login/second?returnTo=%2Fservicecenter`, STRANGER);
      expect(throughSecond.status).toBe(200);
      expect(throughSecond.url).toBe(`${env.url}/servicecenter`);
      expect(await env.db.query(`SELECT l.provider_id FROM linked_identities l JOIN users u ON u.id = l.user_id WHERE u.email = $1`, [STRANGER.email])).toEqual([{ provider_id: 'second' }]);
    });
  });

  it('the userName of a user the directory deleted brings that same user back when created again', async () => {
    const first = await scim('POST', '/Users', { userName: 'leaver@contoso.example', externalId: 'x-1' });
    const id = String(first.body.id);
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "leaver@contoso.example"')}`)).body.totalResults).toBe(0);
    const again = await scim('POST', '/Users', { userName: 'Leaver@contoso.example', externalId: 'x-2' });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id, userName: 'Leaver@contoso.example', externalId: 'x-2', active: true });
    expect(await env.db.query('SELECT active FROM users WHERE id = $1', [id])).toEqual([{ active: true }]);
    const [restored] = (await auditEvents('scim.user.created')).filter((event) => event.user_id === id).slice(-1);
    expect(restored.details).toMatchObject({ restored: true });
    // Another provider's directory cannot bring it back.
    const b = await createScimToken(env.url, admin, 'second', 'Second directory (leaver)');
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scimClient(env.url, b.token)('POST', '/Users', { userName: 'leaver@contoso.example' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
  });

  it("group memberships: groupsOf(userId) names them, excludedAttributes=members leaves members out", async () => {
    const member = String((await scim('POST', '/Users', { userName: 'member@contoso.example' })).body.id);
    const admins = await scim('POST', '/Groups', { displayName: 'platform-admins', members: [{ value: member }] });
    await scim('POST', '/Groups', { displayName: 'Engineering', members: [{ value: member }] });
    const groups = env.service.app.get(ScimGroupsService);
    expect(await groups.groupsOf(member)).toEqual(['Engineering', 'platform-admins']);

    const without = await scim('GET', `/Groups/${String(admins.body.id)}?excludedAttributes=members`);
    expect(without.body).not.toHaveProperty('members');
    const listed = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "PLATFORM-ADMINS"')}&excludedAttributes=members`);
    expect(listed.body.totalResults).toBe(1);
    expect(listed.body.Resources?.[0]).not.toHaveProperty('members');
    expect((await scim('GET', `/Groups/${String(admins.body.id)}`)).body.members).toEqual([expect.objectContaining({ value: member, display: 'member@contoso.example' })]);

    expect((await scim('PATCH', `/Groups/${String(admins.body.id)}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Remove', path: `members[value eq "${member}"]` }] })).status).toBe(204);
    expect(await groups.groupsOf(member)).toEqual(['Engineering']);
    expect((await scim('DELETE', `/Users/${member}`)).status).toBe(204);
    expect(await groups.groupsOf(member)).toEqual([]);
  });

  it('counts SCIM requests by operation and outcome', async () => {
    const metrics = await (await fetch(`${env.url}/metrics`)).text();
    expect(metrics).toMatch(/frontdoor_scim_requests_total\{operation="users.create",outcome="success"\} [1-9]/);
    expect(metrics).toMatch(/frontdoor_scim_requests_total\{operation="users.create",outcome="conflict"\} [1-9]/);
    expect(metrics).toMatch(/frontdoor_scim_requests_total\{operation="users.get",outcome="not_found"\} [1-9]/);
    expect(metrics).toMatch(/frontdoor_scim_requests_total\{operation="groups.patch",outcome="success"\} [1-9]/);
  });

  it('accepts application/json as well as application/scim+json', async () => {
    const answer = await scim('POST', '/Users', JSON.stringify({ userName: 'plain.json@contoso.example' }), { 'content-type': 'application/json' });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  });
});
