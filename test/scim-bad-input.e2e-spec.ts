import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createScimToken, scimClient, type ScimAnswer } from './support/scim.js';
import { ADMIN, startTestService, type TestService } from './support/service.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** What a confused or hostile SCIM client gets: a SCIM error, never a 500, and nothing half-written. */
describe('SCIM: bad input', () => {
  let env: TestService;
  let admin: string;
  let scim: ReturnType<typeof scimClient>;
  let userId: string;
  let otherId: string;
  let groupId: string;

  async function snapshot(): Promise<unknown> {
    return env.db.query(`SELECT (SELECT json_agg(u ORDER BY u.id) FROM (SELECT id, email, display_name, active, updated_at FROM users) u) AS users,
      (SELECT json_agg(s ORDER BY s.user_id) FROM scim_users s) AS scim_users, (SELECT json_agg(g ORDER BY g.id) FROM scim_groups g) AS groups,
      (SELECT json_agg(m ORDER BY m.group_id, m.user_id) FROM scim_group_members m) AS members`);
  }

  function expectScimError(answer: ScimAnswer, status: number, scimType?: string): void {
    expect(answer.status, answer.text).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(answer.body).toMatchObject({ schemas: [ERROR], status: String(status), detail: expect.any(String), ...(scimType ? { scimType } : {}) });
  }

  beforeAll(async () => {
    env = await startTestService({ RATE_LIMIT_SCIM_PER_MINUTE: '100000' });
    admin = await adminToken(env.db.url, ADMIN.email);
    scim = scimClient(env.url, (await createScimToken(env.url, admin, 'default', 'Directory')).token);
    userId = String((await scim('POST', '/Users', { userName: 'ada@contoso.example', displayName: 'Ada' })).body.id);
    otherId = String((await scim('POST', '/Users', { userName: 'grace@contoso.example' })).body.id);
    groupId = String((await scim('POST', '/Groups', { displayName: 'platform-admins', members: [{ value: userId }] })).body.id);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('malformed JSON, a body nested too deeply, and a body too large: SCIM errors, nothing written', async () => {
    const before = await snapshot();
    expectScimError(await scim('POST', '/Users', '{"userName": "x@contoso.example",'), 400, 'invalidSyntax');
    expectScimError(await scim('PATCH', `/Users/${userId}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","value":${'['.repeat(40)}${']'.repeat(40)}}]}`), 400, 'invalidSyntax');
    expectScimError(await scim('POST', '/Users', JSON.stringify({ userName: 'big@contoso.example', title: 'x'.repeat(1_100_000) })), 413);
    expectScimError(await scim('POST', '/Users', '[]'), 400, 'invalidSyntax');
    expectScimError(await scim('POST', '/Users', { userName: 'not-an-email' }), 400, 'invalidValue');
    expect(await snapshot()).toEqual(before);
  });

  it('filters on unknown attributes or with unsupported operators: 400 invalidFilter', async () => {
    for (const filter of ['password eq "x"', 'title eq "x"', 'userName co "ada"', 'userName eq "a" or userName eq "b"', 'userName eq', 'userName eq "a"; DROP TABLE users']) {
      expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
    }
    expectScimError(await scim('GET', `/Groups?filter=${encodeURIComponent('userName eq "ada@contoso.example"')}`), 400, 'invalidFilter');
    expectScimError(await scim('GET', '/Users?startIndex=abc'), 400, 'invalidValue');
  });

  it('filter values are data, never SQL', async () => {
    const before = await snapshot();
    for (const value of [`x' OR '1'='1`, `') OR 1=1 --`, `ada@contoso.example' --`, `%`, `_`, `'; DROP TABLE users; --`]) {
      const answer = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq ${JSON.stringify(value)}`)}`);
      expect(answer.status, value).toBe(200);
      expect(answer.body.totalResults, value).toBe(0);
    }
    const exact = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "ada@contoso.example" and emails.value eq "%"')}`);
    expect(exact.body.totalResults).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it('an unknown PATCH operation or path: 400, and none of the request\'s operations applied', async () => {
    const before = await snapshot();
    expectScimError(await scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'merge', path: 'active', value: false }] }), 400, 'invalidSyntax');
    expectScimError(await scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'add', path: '__proto__.admin', value: true }] }), 400, 'invalidPath');
    expectScimError(await scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'maybe' }] }), 400, 'invalidValue');
    expectScimError(await scim('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] }), 400, 'invalidSyntax');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('a PATCH whose last operation the database refuses applies none of the others (one transaction)', async () => {
    const before = await snapshot();
    const answer = await scim('PATCH', `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'replace', path: 'displayName', value: 'Half Written' },
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: 'userName', value: ADMIN.email },
      ],
    });
    expectScimError(answer, 409, 'uniqueness');
    expect(await snapshot()).toEqual(before);
  });

  it('a group PATCH with one member from elsewhere adds none of them', async () => {
    const before = await snapshot();
    const [adminUser] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    const answer = await scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: otherId }, { value: adminUser.id }] }, { op: 'replace', path: 'displayName', value: 'renamed' }] });
    expectScimError(answer, 400, 'invalidValue');
    expectScimError(await scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: 'not-a-uuid' }] }] }), 400, 'invalidValue');
    expectScimError(await scim('POST', '/Groups', { displayName: 'PLATFORM-ADMINS' }), 409, 'uniqueness');
    expect(await snapshot()).toEqual(before);
  });

  it('unknown ids and routes: 404 as SCIM errors', async () => {
    expectScimError(await scim('GET', '/Users/00000000-0000-4000-8000-000000000000'), 404);
    expectScimError(await scim('GET', "/Users/1' OR '1'='1"), 404);
    expectScimError(await scim('DELETE', '/Groups/nope'), 404);
    expectScimError(await scim('GET', '/Nothing'), 404);
    expectScimError(await scim('POST', '/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] }), 501);
    expectScimError(await scim('GET', '/Me'), 501);
    expect((await fetch(`${env.url}/scim/v2/Nothing`)).status).toBe(401);
  });

  describe('a flood of creations', () => {
    let limited: TestService;

    beforeAll(async () => {
      limited = await startTestService({ RATE_LIMIT_SCIM_PER_MINUTE: '10' });
    });
    afterAll(async () => {
      await limited?.close();
    });

    it('is answered 429 with Retry-After past the token\'s limit, each creation whole or not at all, and other tokens unaffected', async () => {
      const limitedAdmin = await adminToken(limited.db.url, ADMIN.email);
      const flooding = scimClient(limited.url, (await createScimToken(limited.url, limitedAdmin, 'default', 'Flood')).token);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => flooding('POST', '/Users', { userName: `flood${i}@contoso.example` })));
      const created = answers.filter((answer) => answer.status === 201);
      const refused = answers.filter((answer) => answer.status === 429);
      expect(created.length + refused.length).toBe(30);
      expect(created.length).toBeLessThanOrEqual(10);
      expect(refused.length).toBeGreaterThanOrEqual(20);
      expectScimError(refused[0], 429);
      expect(Number(refused[0].headers.get('retry-after'))).toBeGreaterThan(0);
      const rows = await limited.db.query<{ users: string; records: string }>(`SELECT (SELECT count(*) FROM users WHERE email LIKE 'flood%') AS users, (SELECT count(*) FROM scim_users WHERE user_name LIKE 'flood%') AS records`);
      expect(rows[0]).toEqual({ users: String(created.length), records: String(created.length) });

      const other = scimClient(limited.url, (await createScimToken(limited.url, limitedAdmin, 'default', 'Other')).token);
      expect((await other('GET', '/Users?count=1')).status).toBe(200);
    });
  });
});
