import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createScimToken, scimClient } from './support/scim.js';
import { ADMIN, startTestService, type TestService } from './support/service.js';

/** SCIM tokens (admin API), what they open and what they do not, and SCIM discovery. */
describe('SCIM tokens and discovery', () => {
  let env: TestService;
  let admin: string;
  let token: { id: string; token: string };
  let scim: ReturnType<typeof scimClient>;

  async function auditEvents(type: string): Promise<{ actor_email: string | null; details: Record<string, unknown> }[]> {
    return env.db.query(`SELECT actor_email, details FROM audit_events WHERE type = $1 ORDER BY id`, [type]);
  }

  function api(path: string, init: { method?: string; json?: unknown; bearer?: string } = {}): Promise<Response> {
    return fetch(`${env.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.bearer ?? admin}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
  }

  beforeAll(async () => {
    env = await startTestService();
    admin = await adminToken(env.db.url, ADMIN.email);
    token = await createScimToken(env.url, admin, 'default', 'Entra ID provisioning');
    scim = scimClient(env.url, token.token);
  });
  afterAll(async () => {
    await env?.close();
  });

  describe('tokens', () => {
    it('shows a token once, lists tokens without it, keeps only its SHA-256, and audits both ends', async () => {
      const created = await api('/api/admin/scim-tokens', { method: 'POST', json: { providerId: 'default', name: 'Okta provisioning' } });
      expect(created.status).toBe(201);
      const body = await created.json();
      expect(body).toEqual({ id: expect.any(String), name: 'Okta provisioning', providerId: 'default', createdAt: expect.any(String), lastUsedAt: null, token: expect.stringMatching(/^fdscim_/) });

      const list = await (await api('/api/admin/scim-tokens')).json();
      expect(list.map((t: { name: string }) => t.name)).toEqual(['Entra ID provisioning', 'Okta provisioning']);
      expect(JSON.stringify(list)).not.toContain(body.token);
      expect(list.every((t: Record<string, unknown>) => !('token' in t) && !('tokenHash' in t))).toBe(true);
      const rows = await env.db.query<{ token_hash: string }>('SELECT token_hash FROM scim_tokens');
      expect(rows.every((row) => row.token_hash.length === 64)).toBe(true);
      expect(JSON.stringify(rows)).not.toContain(body.token);

      expect((await scimClient(env.url, body.token)('GET', '/ServiceProviderConfig')).status).toBe(200);
      expect((await api(`/api/admin/scim-tokens/${body.id}`, { method: 'DELETE' })).status).toBe(204);
      const refused = await scimClient(env.url, body.token)('GET', '/ServiceProviderConfig');
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
      expect((await api(`/api/admin/scim-tokens/${body.id}`, { method: 'DELETE' })).status).toBe(404);

      const [createdEvent] = (await auditEvents('admin.scim_token.created')).slice(-1);
      const [revokedEvent] = await auditEvents('admin.scim_token.revoked');
      expect(createdEvent).toMatchObject({ actor_email: ADMIN.email, details: { scimTokenId: body.id, name: 'Okta provisioning' } });
      expect(revokedEvent).toMatchObject({ actor_email: ADMIN.email, details: { scimTokenId: body.id } });
      expect(JSON.stringify(await env.db.query('SELECT details FROM audit_events'))).not.toContain(body.token);
    });

    it('refuses a token request for an unknown provider or without a name, and writes nothing', async () => {
      const before = await env.db.query('SELECT id FROM scim_tokens');
      expect((await api('/api/admin/scim-tokens', { method: 'POST', json: { providerId: 'nope', name: 'x' } })).status).toBe(404);
      const missing = await api('/api/admin/scim-tokens', { method: 'POST', json: { providerId: 'default' } });
      expect(missing.status).toBe(400);
      expect((await missing.json()).error).toBeDefined();
      const personLike = await api('/api/admin/scim-tokens', { method: 'POST', json: { providerId: 'default', name: ADMIN.email } });
      expect(personLike.status).toBe(400);
      expect((await personLike.json()).details).toEqual([expect.stringContaining('must not contain "@"')]);
      expect(await env.db.query('SELECT id FROM scim_tokens')).toEqual(before);
    });

    it('a SCIM token opens /scim/v2 only, and nothing else opens /scim/v2', async () => {
      expect((await api('/api/admin/users', { bearer: token.token })).status).toBe(401);
      expect((await api('/api/admin/scim-tokens', { bearer: token.token })).status).toBe(401);
      expect((await api('/api/desktop/me', { bearer: token.token })).status).toBe(401);
      expect((await api('/auth/verify', { bearer: token.token })).status).not.toBe(200);
      const withAdminToken = await scimClient(env.url, admin)('GET', '/ServiceProviderConfig');
      expect(withAdminToken.status).toBe(401);
      expect(withAdminToken.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      const anonymous = await fetch(`${env.url}/scim/v2/ServiceProviderConfig`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
      const metrics = await (await fetch(`${env.url}/metrics`)).text();
      expect(metrics).toMatch(/frontdoor_scim_requests_total\{operation="discovery",outcome="unauthenticated"\} [1-9]/);
    });
  });

  describe('discovery', () => {
    it('answers ServiceProviderConfig, ResourceTypes and Schemas as application/scim+json', async () => {
      const config = await scim('GET', '/ServiceProviderConfig');
      expect(config.status).toBe(200);
      expect(config.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(config.body).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 200 } });
      const types = await scim('GET', '/ResourceTypes');
      expect(types.body.Resources?.map((type) => type.id)).toEqual(['User', 'Group']);
      expect((await scim('GET', '/ResourceTypes/User')).body).toMatchObject({ endpoint: '/Users' });
      const schemas = await scim('GET', '/Schemas');
      expect(schemas.body.totalResults).toBe(3);
      expect((await scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).status).toBe(200);
      expect((await scim('GET', '/Schemas/urn:nope')).status).toBe(404);
    });
  });
});
