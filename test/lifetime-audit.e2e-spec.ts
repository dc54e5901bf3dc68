import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser, findForm, type Page } from './support/browser.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

describe('LifeTime › Audit', () => {
  let env: TestService;
  let admin: TestBrowser;
  let developerId: string;

  const rowIds = (page: Page) => [...page.body.matchAll(/<tr data-id="(\d+)" data-type="([^"]+)"/g)].map(([, id]) => id);
  const rowTypes = (page: Page) => [...page.body.matchAll(/<tr data-id="\d+" data-type="([^"]+)"/g)].map(([, type]) => type);
  async function api(query: string): Promise<{ events: { id: string; type: string }[]; nextCursor: string | null }> {
    const page = await admin.open(`${env.url}/api/admin/audit?${query}`, { headers: { origin: env.url } });
    expect(page.status).toBe(200);
    return JSON.parse(page.body);
  }

  beforeAll(async () => {
    env = await startTestService();
    admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime`, ADMIN)).status).toBe(200);
    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    [{ id: developerId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
    // A few admin actions from the pages, so there is something to filter and to page through.
    const list = await admin.open(`${env.url}/lifetime/users`);
    const token = findForm(list.body, '/auth/logout').fields._csrf;
    for (const email of ['a.one@example.com', 'b.two@example.com', 'c.three@example.com']) {
      const added = await admin.open(`${env.url}/lifetime/users`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: env.url }, body: new URLSearchParams({ _csrf: token, email }) });
      expect(added.status).toBe(200);
    }
    const user = await admin.open(`${env.url}/lifetime/users/${developerId}`);
    expect((await admin.submit(user, { role_developer: 'on', role_admin: '' }, '/roles')).status).toBe(200);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('shows the events newest first, as the admin API lists them', async () => {
    const page = await admin.open(`${env.url}/lifetime/audit`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="audit-events"');
    expect(rowIds(page)).toEqual((await api('')).events.map((event) => event.id));
    expect(rowTypes(page)).toContain('login.succeeded');
    expect(rowTypes(page)).toContain('admin.user.created');
  });

  it('filters by type, by user (email or id) and by time', async () => {
    const created = await admin.open(`${env.url}/lifetime/audit?type=admin.user.created`);
    expect(rowTypes(created)).toEqual(['admin.user.created', 'admin.user.created', 'admin.user.created']);
    // The filter form keeps what was chosen.
    expect(created.body).toContain('<option value="admin.user.created" selected>');

    const byEmail = await admin.open(`${env.url}/lifetime/audit?user=${encodeURIComponent(DEVELOPER.email)}`);
    const expected = (await api(`userId=${developerId}`)).events.map((event) => event.id);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(rowIds(byEmail)).toEqual(expected);
    expect(rowIds(await admin.open(`${env.url}/lifetime/audit?user=${developerId}`))).toEqual(expected);

    const future = await admin.open(`${env.url}/lifetime/audit?since=2999-01-01%2000:00`);
    expect(rowIds(future)).toEqual([]);
    expect(future.body).toContain('No event matches these filters.');
    const past = await admin.open(`${env.url}/lifetime/audit?until=2000-01-01`);
    expect(rowIds(past)).toEqual([]);
    const now = new Date(Date.now() + 60_000).toISOString().slice(0, 16).replace('T', ' ');
    expect(rowIds(await admin.open(`${env.url}/lifetime/audit?until=${encodeURIComponent(now)}`)).length).toBeGreaterThan(0);
  });

  it('pages with the cursor: Older events continues where the page ended, with the same filters', async () => {
    const all = (await api('limit=200')).events.map((event) => event.id);
    expect(all.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let page = await admin.open(`${env.url}/lifetime/audit?limit=2`);
    for (let i = 0; i < 50; i++) {
      const ids = rowIds(page);
      expect(ids.length).toBeLessThanOrEqual(2);
      seen.push(...ids);
      const older = /<a class="button secondary" id="older" href="([^"]+)"/.exec(page.body);
      if (!older) break;
      expect(older[1]).toContain('limit=2');
      page = await admin.open(`${env.url}${older[1].replaceAll('&amp;', '&')}`);
    }
    expect(seen).toEqual(all);
    expect(page.body).toContain('No older events.');

    const typed = await admin.open(`${env.url}/lifetime/audit?type=admin.user.created&limit=2`);
    const next = /id="older" href="([^"]+)"/.exec(typed.body)![1].replaceAll('&amp;', '&');
    expect(next).toContain('type=admin.user.created');
    expect(rowTypes(await admin.open(`${env.url}${next}`))).toEqual(['admin.user.created']);
  });

  it('answers a bad filter with 400 and the reason on the page', async () => {
    const badType = await admin.open(`${env.url}/lifetime/audit?type=no.such.type`);
    expect(badType.status).toBe(400);
    expect(badType.body).toContain('type must be one of');
    const unknownUser = await admin.open(`${env.url}/lifetime/audit?user=nobody%40example.com`);
    expect(unknownUser.status).toBe(400);
    expect(unknownUser.body).toContain('No user has the email nobody@example.com.');
    const badCursor = await admin.open(`${env.url}/lifetime/audit?cursor=forged`);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body).toContain('cursor is not one this service gave out');
  });

  it('refuses a developer with 403', async () => {
    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const denied = await developer.open(`${env.url}/lifetime/audit`);
    expect(denied.status).toBe(403);
    expect(denied.body).not.toContain('id="audit-events"');
    expect(findForm(denied.body, '/auth/switch-account')).toBeTruthy();
  });
});
