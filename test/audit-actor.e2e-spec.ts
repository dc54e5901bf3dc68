import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/admin/admin-cli.js';
import { TestBrowser, type Page } from './support/browser.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** The audit trail names who acted (actorId, actorEmail), filters by it, and shows emails rather than ids. */
describe('audit: who acted', () => {
  let env: TestService;
  let token: string;
  let admin: TestBrowser;
  let adminId: string;
  let developerId: string;

  async function audit(query: string): Promise<{ events: { type: string; actorId?: string; actorEmail?: string; userId?: string; email?: string }[] }> {
    const response = await fetch(`${env.url}/api/admin/audit?${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return response.json();
  }
  const rowTypes = (page: Page) => [...page.body.matchAll(/<tr data-id="\d+" data-type="([^"]+)"/g)].map(([, type]) => type);

  beforeAll(async () => {
    env = await startTestService();
    const out: string[] = [];
    expect(await runCli(['tokens', 'create', '--email', ADMIN.email], { DATABASE_URL: env.db.url }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
    token = out[0];
    admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime`, ADMIN)).status).toBe(200);
    expect((await signInThroughDevIdp(new TestBrowser(), `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
    [{ id: adminId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    [{ id: developerId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
    const changed = await fetch(`${env.url}/api/admin/users/${developerId}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ displayName: 'Dev Renamed' }) });
    expect(changed.status).toBe(200);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('names the admin for an admin change and the user for their own sign-in', async () => {
    const [updated] = (await audit('type=admin.user.updated')).events;
    expect(updated).toMatchObject({ actorId: adminId, actorEmail: ADMIN.email, userId: developerId, email: DEVELOPER.email });
    const logins = (await audit(`type=login.succeeded&userId=${developerId}`)).events;
    expect(logins[0]).toMatchObject({ actorId: developerId, actorEmail: DEVELOPER.email });
  });

  it('filters by actor: an email (any case) or an id', async () => {
    const byEmail = (await audit(`actor=${encodeURIComponent(ADMIN.email.toUpperCase())}`)).events;
    expect(byEmail.length).toBeGreaterThan(0);
    expect(byEmail.every((event) => event.actorId === adminId)).toBe(true);
    expect(byEmail.map((event) => event.type)).toContain('admin.user.updated');
    const byId = (await audit(`actor=${developerId}`)).events;
    expect(byId.map((event) => event.type)).toContain('login.succeeded');
    expect(byId.map((event) => event.type)).not.toContain('admin.user.updated');
    expect((await audit('actor=nobody%40example.com')).events).toEqual([]);
  });

  it("LifeTime's Audit page filters by actor and shows who acted by email", async () => {
    const page = await admin.open(`${env.url}/lifetime/audit?actor=${encodeURIComponent(ADMIN.email)}&type=admin.user.updated`);
    expect(page.status).toBe(200);
    expect(rowTypes(page)).toEqual(['admin.user.updated']);
    expect(page.body).toContain(`<td class="actor"><a href="/lifetime/users/${adminId}">${ADMIN.email}</a></td>`);
    expect(page.body).toContain(`name="actor" value="${ADMIN.email}"`);
    expect(page.body).not.toContain(`by ${adminId}`);
    const none = await admin.open(`${env.url}/lifetime/audit?actor=nobody%40example.com`);
    expect(rowTypes(none)).toEqual([]);
  });

  it("a user's page links to their events by email, not by id", async () => {
    const page = await admin.open(`${env.url}/lifetime/users/${developerId}`);
    expect(page.body).toContain(`href="/lifetime/audit?user=${encodeURIComponent(DEVELOPER.email)}"`);
    expect(page.body).toContain(`href="/lifetime/audit?actor=${encodeURIComponent(DEVELOPER.email)}"`);
  });

  it('an event that names its user by id only shows the email on the Audit page', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const { consoleSessions } = await (await fetch(`${env.url}/api/admin/users/${developerId}/sessions`, { headers })).json();
    expect((await fetch(`${env.url}/api/admin/sessions/${consoleSessions[0].id}`, { method: 'DELETE', headers })).status).toBe(204);
    const [revoked] = (await audit('type=admin.session.revoked')).events;
    expect(revoked).toMatchObject({ userId: developerId, actorEmail: ADMIN.email });
    expect(revoked.email).toBeUndefined();
    const page = await admin.open(`${env.url}/lifetime/audit?type=admin.session.revoked`);
    expect(page.body).toContain(`<a href="/lifetime/users/${developerId}">${DEVELOPER.email}</a>`);
    expect(page.body).not.toContain(`>${developerId}</a>`);
  });
});
