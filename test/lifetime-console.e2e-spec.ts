import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser, type Page } from './support/browser.js';
import { ADMIN, DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

const CHROME_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** How many users the paging tests add beside the development provider's accounts. */
const EXTRA_USERS = 130;

/** The user ids of the Users table's rows, in page order. */
const rowIds = (page: Page) => [...page.body.matchAll(/<tr data-user="([0-9a-f-]{36})">/g)].map((match) => match[1]);
const decode = (value: string) => value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&#39;', "'");

describe('LifeTime: users paged and sorted, sessions, confirmations, the Id pattern, favicon, start page', () => {
  let env: TestService;
  let admin: TestBrowser;
  let adminId: string;
  let developerId: string;

  const userCount = async () => Number((await env.db.query<{ n: string }>('SELECT count(*) AS n FROM users'))[0].n);
  const idsInOrder = async (orderBy: string, limit: number, offset: number, where = 'true') =>
    (await env.db.query<{ id: string }>(`SELECT id FROM users WHERE ${where} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}`)).map((row) => row.id);

  beforeAll(async () => {
    env = await startTestService();
    admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime`, ADMIN)).status).toBe(200);
    [{ id: adminId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [ADMIN.email]);
    [{ id: developerId }] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
    // Names out of step with emails, so sorting by one differs from sorting by the other.
    await env.db.query(
      `INSERT INTO users (email, display_name, roles, active, created_at)
       SELECT 'member' || lpad(n::text, 3, '0') || '@example.com', 'Member ' || lpad((${EXTRA_USERS} - n)::text, 3, '0'), '{developer}', true, now() - (n || ' minutes')::interval
       FROM generate_series(1, ${EXTRA_USERS}) AS n`,
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  it('pages users 25 at a time by name, with the count and links to the next and previous pages', async () => {
    const total = await userCount();
    const first = await admin.open(`${env.url}/lifetime/users`);
    expect(first.status).toBe(200);
    expect(first.body).toContain(`<strong>1–25</strong> of <strong>${total}</strong> users`);
    expect(rowIds(first)).toEqual(await idsInOrder('LOWER(display_name), id', 25, 0));
    expect(first.body).toContain('href="/lifetime/users?page=2"');
    expect(first.body).not.toContain('rel="prev"');

    const second = await admin.open(`${env.url}/lifetime/users?page=2`);
    expect(rowIds(second)).toEqual(await idsInOrder('LOWER(display_name), id', 25, 25));
    expect(second.body).toContain(`<strong>26–50</strong> of <strong>${total}</strong> users`);
    expect(second.body).toContain('href="/lifetime/users"');
  });

  it('sorts by email or by date added, either way, and a header link turns the sorted column round', async () => {
    const byEmailDesc = await admin.open(`${env.url}/lifetime/users?sort=email&order=desc&size=10&page=3`);
    expect(byEmailDesc.status).toBe(200);
    expect(rowIds(byEmailDesc)).toEqual(await idsInOrder('email DESC, id DESC', 10, 20));
    expect(byEmailDesc.body).toContain('aria-sort="descending"');
    expect(decode(byEmailDesc.body)).toContain('<a href="/lifetime/users?sort=email&size=10" class="sorted">Email ▼</a>');

    const newestFirst = await admin.open(`${env.url}/lifetime/users?sort=created&order=desc&size=10`);
    expect(rowIds(newestFirst)).toEqual(await idsInOrder('created_at DESC, id DESC', 10, 0));
  });

  it('counts and pages a search, and shows the last page for a page past it', async () => {
    const matching = Number((await env.db.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE display_name ILIKE '%member 1%'`))[0].n);
    expect(matching).toBeGreaterThan(10);
    const found = await admin.open(`${env.url}/lifetime/users?q=member+1&size=10&page=99`);
    expect(found.status).toBe(200);
    const lastPage = Math.ceil(matching / 10);
    expect(found.body).toContain(`Page ${lastPage} of ${lastPage}`);
    expect(found.body).toContain(`of <strong>${matching}</strong> users matching “member 1”`);
    expect(rowIds(found)).toEqual(await idsInOrder('LOWER(display_name), id', 10, (lastPage - 1) * 10, `display_name ILIKE '%member 1%'`));
  });

  it('brings a page size past 100 down to 100', async () => {
    const page = await admin.open(`${env.url}/lifetime/users?size=100000`);
    expect(page.status).toBe(200);
    expect(rowIds(page)).toHaveLength(100);
  });

  it.each([
    ['sort=password', 'sort must be one of name, email, created'],
    ['order=sideways', 'order must be asc or desc'],
    ['page=0', 'page must be a whole number from 1'],
    ['page=abc', 'page must be a whole number from 1'],
    ['size=-5', 'size must be a whole number from 1 to 100'],
    ['sort=name&sort=email', 'sort was given more than once'],
  ])('answers %s with a readable 400 page naming the problem', async (query, problem) => {
    const page = await admin.open(`${env.url}/lifetime/users?${query}`);
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain(problem);
    expect(page.body).toContain('id="users"');
  });

  it('marks the session the page was opened with, and only that one, and summarises browsers with the full string on hover', async () => {
    const otherBrowser = new TestBrowser();
    await signInThroughDevIdp(otherBrowser, `${env.url}/lifetime`, ADMIN);
    await env.db.query('UPDATE sessions SET user_agent = $1 WHERE user_id = $2', [CHROME_ON_LINUX, adminId]);
    const sessions = await env.db.query<{ id: string }>('SELECT id FROM sessions WHERE user_id = $1', [adminId]);
    expect(sessions.length).toBeGreaterThanOrEqual(2);

    const marked = async (browser: TestBrowser) => {
      const page = await browser.open(`${env.url}/lifetime/users/${adminId}`);
      expect(page.body.match(/id="current-session"/g)).toHaveLength(1);
      return /<tr data-session="([0-9a-f-]{36})" class="current-session">/.exec(page.body)![1];
    };
    const mine = await marked(admin);
    const theirs = await marked(otherBrowser);
    expect(mine).not.toBe(theirs);
    expect(sessions.map((s) => s.id)).toEqual(expect.arrayContaining([mine, theirs]));

    const page = await admin.open(`${env.url}/lifetime/users/${adminId}`);
    expect(page.body).toContain(`<span title="${CHROME_ON_LINUX}">Chrome 131 on Linux</span>`);
    expect(page.body).toContain('Revoke (signs you out)');

    // Another user's page marks nothing: the admin's session is not among theirs.
    await signInThroughDevIdp(new TestBrowser(), `${env.url}/servicecenter`, DEVELOPER);
    const developerPage = await admin.open(`${env.url}/lifetime/users/${developerId}`);
    expect(developerPage.body).toContain('id="console-sessions"');
    expect(developerPage.body).not.toContain('current-session');
  });

  it('gives the new provider’s Id field a pattern that compiles with the v flag and means what it says', async () => {
    const page = await admin.open(`${env.url}/lifetime/authentication/new`);
    const match = /<input type="text" name="id"[^>]*\bpattern="([^"]*)"/.exec(page.body);
    expect(match).not.toBeNull();
    const pattern = decode(match![1]);
    // Chromium compiles `pattern` as ^(?:pattern)$ with the v flag, and ignores one that does not compile.
    const compiled = new RegExp(`^(?:${pattern})$`, 'v');
    expect(() => new RegExp(pattern, 'v')).not.toThrow();
    for (const good of ['corp-sso', 'a', 'x'.repeat(40), 'entra-2']) expect(compiled.test(good), good).toBe(true);
    for (const bad of ['Corp', 'corp_sso', 'corp sso', 'x'.repeat(41), '']) expect(compiled.test(bad), bad).toBe(false);
  });

  it('serves a favicon and links it from every page', async () => {
    const icon = await new TestBrowser().open(`${env.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(icon.body).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const path of ['/', '/lifetime', '/lifetime/users', '/lifetime/audit', '/lifetime/authentication', '/servicecenter', '/lifetime/no-such-page']) {
      const page = await admin.open(`${env.url}${path}`);
      expect(page.body, path).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    }
  });

  it('lists LifeTime on the start page to admins only', async () => {
    const lifetimeLink = 'href="/lifetime"';
    expect((await admin.open(`${env.url}/`)).body).toContain(lifetimeLink);

    const developer = new TestBrowser();
    await signInThroughDevIdp(developer, `${env.url}/servicecenter`, DEVELOPER);
    const developerHome = await developer.open(`${env.url}/`);
    expect(developerHome.body).toContain('id="signed-in-as"');
    expect(developerHome.body).toContain('href="/servicecenter"');
    expect(developerHome.body).not.toContain(lifetimeLink);

    const visitor = new TestBrowser();
    const anonymousHome = await visitor.open(`${env.url}/`);
    expect(anonymousHome.body).toContain('href="/servicecenter"');
    expect(anonymousHome.body).not.toContain(lifetimeLink);
    // Its Sign in button comes back to the start page, which then lists LifeTime for an admin.
    const signIn = /id="sign-in" href="([^"]+)"/.exec(anonymousHome.body)![1];
    const back = await signInThroughDevIdp(visitor, `${env.url}${decode(signIn)}`, ADMIN);
    expect(new URL(back.url).pathname).toBe('/');
    expect(back.body).toContain(lifetimeLink);
  });

  it('folds each audit event’s details, keeping the whole behind the summary', async () => {
    const audit = await admin.open(`${env.url}/lifetime/audit?type=login.succeeded`);
    expect(audit.status).toBe(200);
    const rows = [...audit.body.matchAll(/<tr data-id="[^"]*" data-type="login.succeeded">([\s\S]*?)<\/tr>/g)].map((row) => row[1]);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatch(/<details>\s*<summary>[^<]{1,32}<\/summary>/);
      expect(row).toContain('<dt>request</dt>');
    }
  });
});
