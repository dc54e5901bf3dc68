import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { ADMIN, startTestService, type TestService } from './support/service.js';

describe('the last active admin stays (admin API)', () => {
  let env: TestService;
  let token: string;
  let adminId: string;

  function api(path: string, init: { method?: string; json?: unknown } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${env.url}${path}`, { method: init.method ?? 'GET', headers, body: init.json !== undefined ? JSON.stringify(init.json) : undefined });
  }

  const snapshot = () => env.db.query('SELECT id, roles, active, updated_at FROM users ORDER BY id');
  const auditCount = async () => Number((await env.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE type LIKE 'admin.user.%'`))[0].n);

  beforeAll(async () => {
    env = await startTestService();
    const out: string[] = [];
    await runCli(['tokens', 'create', '--email', ADMIN.email], { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => undefined });
    token = out[0];
    [{ id: adminId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
  });
  afterAll(async () => {
    await env?.close();
  });

  it.each([
    ['deactivated with DELETE', { method: 'DELETE' }, /cannot be deactivated/],
    ['deactivated with PATCH active=false', { method: 'PATCH', json: { active: false } }, /cannot be deactivated/],
    ['demoted with PATCH roles', { method: 'PATCH', json: { roles: ['developer'] } }, /cannot be demoted/],
  ])('refuses to let the last active admin be %s: 409, nothing written', async (_label, init, message) => {
    const before = await snapshot();
    const audits = await auditCount();
    const response = await api(`/api/admin/users/${adminId}`, init);
    expect(response.status).toBe(409);
    const body = await response.json();
    expect(body.error).toBe('last_admin');
    expect(body.message).toMatch(message);
    expect(await snapshot()).toEqual(before);
    expect(await auditCount()).toBe(audits);
  });

  it('lets an admin go once another active admin exists, and records each change in the audit trail', async () => {
    const [{ last }] = await env.db.query<{ last: string }>('SELECT coalesce(max(id), 0) AS last FROM audit_events');
    const created = await api('/api/admin/users', { method: 'POST', json: { email: 'second.admin@example.com', roles: ['admin'] } });
    expect(created.status).toBe(201);
    const second = await created.json();
    const demoted = await api(`/api/admin/users/${adminId}`, { method: 'PATCH', json: { roles: ['developer'] } });
    expect(demoted.status).toBe(200);
    // The token's owner is no longer an admin, so the token opens nothing any more.
    expect((await api(`/api/admin/users/${second.id}`, { method: 'DELETE' })).status).toBe(403);
    const events = await env.db.query<{ type: string; user_id: string }>(`SELECT type, user_id FROM audit_events WHERE type LIKE 'admin.user.%' AND id > $1 ORDER BY id`, [last]);
    expect(events).toEqual([
      { type: 'admin.user.created', user_id: second.id },
      { type: 'admin.user.updated', user_id: adminId },
    ]);
  });
});
