import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RoleSyncService } from '../src/access/role-sync.service.js';
import { runCli } from '../src/admin/admin-cli.js';
import type { RunningService } from '../src/bootstrap.js';
import { TestBrowser } from './support/browser.js';
import { signedInSessions, startRogueEnvironment, startSecondInstance, visitConsole, type RogueEnvironment } from './support/rogue-service.js';

const RULES = [
  { claim: 'groups', value: 'platform-admins', role: 'admin' },
  { claim: 'realm_access.roles', value: 'platform-dev', role: 'developer' },
];
const PROVIDER_ROLES = {
  OIDC_ROLE_SOURCE: 'provider',
  OIDC_ROLE_RULES: JSON.stringify(RULES),
  OIDC_PROVISIONING: 'jit',
  OIDC_EMAIL_DOMAINS: 'corp.example',
};

/**
 * The provider as the source of truth: users created at their first login with the roles its rules
 * grant, roles set again at every login (taken away too), on every instance at the next request,
 * and read-only here.
 */
describe('roles from the provider, users created at first login', () => {
  let rig: RogueEnvironment;
  let b: { service: RunningService; url: string };
  let adminToken: string;

  beforeAll(async () => {
    rig = await startRogueEnvironment({}, PROVIDER_ROLES);
    b = await startSecondInstance(rig, PROVIDER_ROLES);
  });
  afterAll(async () => {
    await b?.service.close();
    await rig?.close();
  });
  beforeEach(() => {
    rig.op.subject = 'jo-sub';
    rig.op.email = 'jo@corp.example';
    rig.op.emailVerified = true;
    rig.op.extraClaims = { name: 'Jo Corp', groups: ['platform-admins', 'staff'] };
  });

  async function userRow(email: string): Promise<{ id: string; roles: string[]; display_name: string } | undefined> {
    const [row] = await rig.env.db.query<{ id: string; roles: string[]; display_name: string }>('SELECT id, roles, display_name FROM users WHERE email = $1', [email]);
    return row;
  }

  async function events(type: string): Promise<Array<{ user_id: string; reason: string | null; details: Record<string, unknown> }>> {
    return rig.env.db.query('SELECT user_id, reason, details FROM audit_events WHERE type = $1 ORDER BY id', [type]);
  }

  const lifetimeOn = async (url: string, browser: TestBrowser) => {
    const response = await browser.request(`${url}/lifetime`);
    await response.arrayBuffer();
    return response.status;
  };

  const api = (path: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(`${rig.env.url}/api/admin${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${adminToken}`, ...(init.json ? { 'content-type': 'application/json' } : {}) },
      body: init.json ? JSON.stringify(init.json) : undefined,
    });

  it('creates the user at the first login, linked, with the roles the rules grant (user.provisioned)', async () => {
    expect(await userRow('jo@corp.example')).toBeUndefined();
    const page = await visitConsole(rig.env, new TestBrowser(), '/lifetime');
    expect(page.status).toBe(200);
    const jo = (await userRow('jo@corp.example'))!;
    expect(jo).toMatchObject({ roles: ['admin'], display_name: 'Jo Corp' });
    const [identity] = await rig.env.db.query<{ user_id: string; claims: Record<string, unknown> }>("SELECT user_id, claims FROM linked_identities WHERE subject = 'jo-sub'");
    expect(identity.user_id).toBe(jo.id);
    // The claims the rules read are kept for a later re-evaluation; protocol claims are not.
    expect(identity.claims).toMatchObject({ groups: ['platform-admins', 'staff'], email: 'jo@corp.example' });
    expect(identity.claims).not.toHaveProperty('nonce');
    expect(await events('user.provisioned')).toEqual([{ user_id: jo.id, reason: null, details: { roles: ['admin'] } }]);

    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', 'jo@corp.example'], { DATABASE_URL: rig.env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    adminToken = out[0];
  });

  it.each<[string, () => void, string, string]>([
    [
      'an address outside OIDC_EMAIL_DOMAINS',
      () => {
        rig.op.subject = 'outsider-sub';
        rig.op.email = 'pat@partner.example';
      },
      'domain_not_allowed',
      'is not registered in this environment',
    ],
    [
      'a first login the rules grant no role',
      () => {
        rig.op.subject = 'norole-sub';
        rig.op.email = 'norole@corp.example';
        rig.op.extraClaims = { groups: ['staff'] };
      },
      'no_role',
      'Ask your administrator at',
    ],
    [
      'a token whose groups did not fit (Entra ID overage) while a rule reads groups',
      () => {
        rig.op.subject = 'many-groups-sub';
        rig.op.email = 'many@corp.example';
        rig.op.extraClaims = { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } } };
      },
      'groups_overage',
      'app roles',
    ],
  ])('creates nobody for %s', async (_case, arrange, reason, says) => {
    arrange();
    const sessions = await signedInSessions(rig.env);
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(403);
    expect(page.body).toContain(says);
    expect(await userRow(rig.op.email)).toBeUndefined();
    expect(await signedInSessions(rig.env)).toBe(sessions);
    const refused = await events('login.refused');
    expect(refused.at(-1)!.reason).toBe(reason);
  });

  it('keeps the admin role of the last active admin, whatever the provider says', async () => {
    rig.op.extraClaims = { groups: ['staff'], realm_access: { roles: ['platform-dev'] } };
    expect((await visitConsole(rig.env)).status).toBe(200);
    expect((await userRow('jo@corp.example'))!.roles).toEqual(['admin', 'developer']);
    await rig.env.db.query(`UPDATE users SET roles = '{admin}' WHERE email = 'jo@corp.example'`);
  });

  it('sets the roles again at every login, downgrade included, and every session of the user on both instances sees them at its next request', async () => {
    const jo = (await userRow('jo@corp.example'))!;
    await rig.users.create({ email: 'other-admin@corp.example', roles: ['admin'] });
    const first = new TestBrowser();
    expect((await visitConsole(rig.env, first, '/lifetime')).status).toBe(200);
    // Instance B serves (and caches) the session as an admin's.
    expect(await lifetimeOn(b.url, first)).toBe(200);
    expect(await lifetimeOn(b.url, first)).toBe(200);

    // Jo leaves the admins group at the provider and signs in again elsewhere.
    rig.op.extraClaims = { groups: ['staff'], realm_access: { roles: ['platform-dev'] } };
    expect((await visitConsole(rig.env)).status).toBe(200);
    expect((await userRow('jo@corp.example'))!.roles).toEqual(['developer']);
    expect((await events('user.roles_synced')).at(-1)).toEqual({ user_id: jo.id, reason: null, details: { before: ['admin'], after: ['developer'] } });
    expect(await lifetimeOn(b.url, first)).toBe(403);
    expect(await lifetimeOn(rig.env.url, first)).toBe(403);

    // And back in the group: the role comes back the same way.
    rig.op.extraClaims = { groups: ['platform-admins'], realm_access: { roles: ['platform-dev'] } };
    expect((await visitConsole(rig.env)).status).toBe(200);
    expect((await userRow('jo@corp.example'))!.roles).toEqual(['admin', 'developer']);
    expect(await lifetimeOn(b.url, first)).toBe(200);
  });

  it('refuses a known user the rules now grant nothing, and leaves their roles as they were', async () => {
    rig.op.extraClaims = { groups: ['staff'] };
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(403);
    expect(page.body).toContain('gives this account no role in this environment');
    expect((await userRow('jo@corp.example'))!.roles).toEqual(['admin', 'developer']);
  });

  it('keeps roles read-only where the provider owns them: 409 naming the provider', async () => {
    const jo = (await userRow('jo@corp.example'))!;
    const refused = await api(`/users/${jo.id}`, { method: 'PATCH', json: { roles: ['developer'] } });
    expect(refused.status).toBe(409);
    const body = await refused.json();
    expect(body).toMatchObject({ error: 'roles_from_provider' });
    expect(body.message).toContain(`(default)`);
    expect((await userRow('jo@corp.example'))!.roles).toEqual(['admin', 'developer']);
    // The same roles, or another field, are fine.
    expect((await api(`/users/${jo.id}`, { method: 'PATCH', json: { displayName: 'Jo C.', roles: ['developer', 'admin'] } })).status).toBe(200);
    const detail = await (await api(`/users/${jo.id}`)).json();
    expect(detail.rolesFromProvider).toBe('default');
  });

  it('applies the rules again without a login, from the claims of the last one', async () => {
    const jo = (await userRow('jo@corp.example'))!;
    // The last login's claims (groups platform-admins) are kept; a role removed behind the rules' back comes back.
    await rig.env.db.query(`UPDATE users SET roles = '{developer}' WHERE id = $1`, [jo.id]);
    const result = await rig.env.service.app.get(RoleSyncService).syncRoles(jo.id, 'default');
    expect(result).toMatchObject({ synced: true, before: ['developer'], after: ['admin', 'developer'], changed: true });
    expect((await userRow('jo@corp.example'))!.roles).toEqual(['admin', 'developer']);
  });

  it('lists the identities on the user and unlinks one (admin.identity.unlinked)', async () => {
    const jo = (await userRow('jo@corp.example'))!;
    const detail = await (await api(`/users/${jo.id}`)).json();
    expect(detail.identities).toEqual([
      { id: expect.any(String), providerId: 'default', issuer: rig.op.issuer, subject: 'jo-sub', linkedAt: expect.any(String), lastSignInAt: expect.any(String) },
    ]);
    const identityId = detail.identities[0].id;
    expect((await api(`/users/${jo.id}/identities/00000000-0000-4000-8000-000000000000`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(`/users/${jo.id}/identities/not-a-uuid`, { method: 'DELETE' })).status).toBe(400);
    expect((await api(`/users/${jo.id}/identities/${identityId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await (await api(`/users/${jo.id}`)).json()).identities).toEqual([]);
    const [event] = await events('admin.identity.unlinked');
    expect(event).toMatchObject({ user_id: jo.id, details: { identityId, subject: 'jo-sub' } });
    expect((await api(`/users/${jo.id}/identities/${identityId}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('takes trustEmail, roleSource, roleRules and provisioning on providers through the API, refusing bad ones with 400 and writing nothing', async () => {
    const base = { id: 'acme', displayName: 'Acme', issuer: 'https://login.acme.example', clientId: 'front-door', clientSecret: 'acme-secret-0123456789' };
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ provisioning: 'jit' }, 'provisioning "jit" needs roleSource "provider"'],
      [{ roleSource: 'idp' }, 'roleSource must be one of the following values'],
      [{ roleRules: [{ claim: 'groups', value: 'x', role: 'owner' }] }, 'role must be one of the following values'],
      [{ roleRules: [{ claim: 'a..b', value: 'x', role: 'admin' }] }, 'roleRules[0].claim must be a claim name or a dotted path'],
      [{ roleRules: [{ claim: 'groups', value: 'x', role: 'admin', extra: 1 }] }, 'property extra should not exist'],
      [{ trustEmail: 'yes' }, 'trustEmail must be a boolean'],
    ];
    for (const [fields, problem] of refusals) {
      const response = await api('/identity-providers', { method: 'POST', json: { ...base, ...fields } });
      expect(response.status).toBe(400);
      const body = JSON.stringify(await response.json());
      expect(body, body).toContain(problem.replace(/"/g, String.raw`\"`));
    }
    expect(await rig.env.db.query("SELECT id FROM identity_providers WHERE id = 'acme'")).toEqual([]);

    const access = { trustEmail: true, roleSource: 'provider', roleRules: [{ claim: 'roles', value: 'Platform.Admin', role: 'admin' }], provisioning: 'jit' };
    const created = await api('/identity-providers', { method: 'POST', json: { ...base, ...access } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject(access);
    const changed = await api('/identity-providers/acme', { method: 'PATCH', json: { roleSource: 'platform' } });
    expect(changed.status).toBe(400);
    expect((await (await api('/identity-providers/acme', { method: 'PATCH', json: { provisioning: 'preregistered', roleSource: 'platform' } })).json())).toMatchObject({ roleSource: 'platform', provisioning: 'preregistered', trustEmail: true });
    expect(await (await api('/identity-providers/default')).json()).toMatchObject({ roleSource: 'provider', provisioning: 'jit', roleRules: RULES, emailDomains: ['corp.example'] });
    await api('/identity-providers/acme', { method: 'DELETE' });
  });
});
