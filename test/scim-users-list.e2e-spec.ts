import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createScimToken, scimClient } from './support/scim.js';
import { ADMIN, startTestService, type TestService } from './support/service.js';

/**
 * Creating and listing users as a directory's sync does it many times over: what a creation
 * answers is what the user reads back, a creation is written whole with its audit event, and a
 * list pages and counts the provider's live users, whatever the page and filter.
 */
describe('SCIM: creating and listing users', () => {
  let env: TestService;
  let scim: ReturnType<typeof scimClient>;
  const ids: string[] = [];
  const names = ['first', 'second', 'third'];

  const list = async (query: string) => (await scim('GET', `/Users?${query}`)).body as { totalResults: number; itemsPerPage: number; Resources: { id: string; userName: string }[] };
  const filter = (text: string) => `filter=${encodeURIComponent(text)}`;

  beforeAll(async () => {
    env = await startTestService({ RATE_LIMIT_SCIM_PER_MINUTE: '100000' });
    const admin = await adminToken(env.db.url, ADMIN.email);
    scim = scimClient(env.url, (await createScimToken(env.url, admin, 'default', 'Directory')).token);
    // One after the other, so that they are listed in this order (oldest first).
    for (const name of names) {
      const created = await scim('POST', '/Users', { userName: `${name}@Contoso.example`, externalId: name, emails: [{ value: `${name}@Contoso.example`, primary: true }] });
      expect(created.status, created.text).toBe(201);
      ids.push(String(created.body.id));
    }
  });
  afterAll(async () => {
    await env?.close();
  });

  it('answers a creation with the resource as it is read back, and writes the user, the record and the audit event together', async () => {
    const created = await scim('POST', '/Users', { userName: 'Fourth@Contoso.example', externalId: 'fourth', displayName: 'Fourth', title: 'Engineer' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${env.url}/scim/v2/Users/${String(created.body.id)}`);
    const read = await scim('GET', `/Users/${String(created.body.id)}`);
    expect(read.body).toEqual(created.body);
    expect(created.body).toMatchObject({ userName: 'Fourth@Contoso.example', externalId: 'fourth', active: true, displayName: 'Fourth', title: 'Engineer' });

    const [user] = await env.db.query<{ email: string; display_name: string; provisioned_by: string; active: boolean }>(`SELECT email, display_name, provisioned_by, active FROM users WHERE id = $1`, [created.body.id]);
    expect(user).toEqual({ email: 'fourth@contoso.example', display_name: 'Fourth', provisioned_by: 'default', active: true });
    const events = await env.db.query<{ actor_email: string; email: string; provider_id: string; details: Record<string, unknown> }>(
      `SELECT actor_email, email, provider_id, details FROM audit_events WHERE type = 'scim.user.created' AND user_id = $1`,
      [created.body.id],
    );
    expect(events).toEqual([{ actor_email: 'Directory', email: 'fourth@contoso.example', provider_id: 'default', details: { externalId: 'fourth', active: true } }]);
    expect((await scim('DELETE', `/Users/${String(created.body.id)}`)).status).toBe(204);
  });

  it('refuses a taken userName in any case with 409 uniqueness, and writes nothing', async () => {
    const before = await env.db.query(`SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM scim_users) AS records, (SELECT count(*) FROM audit_events) AS events`);
    const answer = await scim('POST', '/Users', { userName: 'FIRST@contoso.example' });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ scimType: 'uniqueness' });
    expect(await env.db.query(`SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM scim_users) AS records, (SELECT count(*) FROM audit_events) AS events`)).toEqual(before);
  });

  it('creates a user sent inactive as inactive, audited as such', async () => {
    const created = await scim('POST', '/Users', { userName: 'dormant@contoso.example', active: false });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ active: false });
    expect((await scim('GET', `/Users/${String(created.body.id)}`)).body).toEqual(created.body);
    const types = await env.db.query<{ type: string; details: Record<string, unknown> }>(`SELECT type, details FROM audit_events WHERE user_id = $1 ORDER BY id`, [created.body.id]);
    expect(types.map((event) => event.type)).toEqual(['scim.user.created', 'scim.user.deactivated']);
    expect(types[0].details).toMatchObject({ active: false });
    expect((await scim('DELETE', `/Users/${String(created.body.id)}`)).status).toBe(204);
  });

  it('pages through the live users oldest first, and counts them all on every page, past the end and with count=0', async () => {
    expect(await list('startIndex=2&count=1')).toMatchObject({ totalResults: 3, itemsPerPage: 1, Resources: [{ id: ids[1], userName: 'second@Contoso.example' }] });
    expect((await list('')).Resources.map((resource) => resource.id)).toEqual(ids);
    expect(await list('startIndex=10')).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    expect(await list('count=0')).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    expect(await list(`startIndex=5&${filter('userName eq "third@contoso.example"')}`)).toMatchObject({ totalResults: 1, itemsPerPage: 0 });
  });

  it('filters on userName in any case, externalId and emails.value, alone or joined by and', async () => {
    expect(await list(filter('userName eq "SECOND@contoso.EXAMPLE"'))).toMatchObject({ totalResults: 1, Resources: [{ id: ids[1] }] });
    expect(await list(filter('externalId eq "third"'))).toMatchObject({ totalResults: 1, Resources: [{ id: ids[2] }] });
    expect(await list(filter('emails[value eq "FIRST@contoso.example"]'))).toMatchObject({ totalResults: 1, Resources: [{ id: ids[0] }] });
    expect(await list(filter('userName eq "first@contoso.example" and externalId eq "first"'))).toMatchObject({ totalResults: 1, Resources: [{ id: ids[0] }] });
    expect(await list(filter('userName eq "first@contoso.example" and externalId eq "second"'))).toMatchObject({ totalResults: 0, Resources: [] });
    expect(await list(filter('userName eq "nobody@contoso.example"'))).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('leaves a deleted user out of lists and counts', async () => {
    const gone = await scim('POST', '/Users', { userName: 'gone@contoso.example' });
    expect((await list('')).totalResults).toBe(4);
    expect((await scim('DELETE', `/Users/${String(gone.body.id)}`)).status).toBe(204);
    expect(await list('')).toMatchObject({ totalResults: 3 });
    expect(await list(filter('userName eq "gone@contoso.example"'))).toMatchObject({ totalResults: 0, Resources: [] });
  });
});
