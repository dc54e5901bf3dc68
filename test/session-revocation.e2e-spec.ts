import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokensService } from '../src/auth/api-tokens.service.js';
import { RevocationListener } from '../src/auth/session/revocation-listener.js';
import type { RunningService } from '../src/bootstrap.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin } from './support/desktop-login.js';
import { csrfForm } from './support/forms.js';
import { startRogueEnvironment, startSecondInstance, type RogueEnvironment } from './support/rogue-service.js';

const SESSION_COOKIE = 'frontdoor.sid';

/**
 * Sessions, users and desktop tokens are served from a short-lived in-process cache. Two instances
 * on one PostgreSQL: whatever ends access on one is refused by the other on its very next request,
 * although the other had just served (and cached) the same session or token.
 */
describe('revocation across instances with cached sessions', () => {
  let rig: RogueEnvironment;
  let second: { service: RunningService; url: string };
  let adminToken: string;

  beforeAll(async () => {
    rig = await startRogueEnvironment();
    await rig.users.create({ email: 'boss@example.com', displayName: 'Bo Boss', roles: ['admin'] });
    adminToken = (await rig.env.service.app.get(ApiTokensService).create('boss@example.com')).token;
    second = await startSecondInstance(rig, {
      // Long enough that only an announcement, never the expiry of an entry, can explain a refusal below.
      SESSION_CACHE_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await second?.service.close();
    await rig?.close();
  });

  /** A fresh platform user signed in on the first instance; the rogue provider signs in whoever it is told to. */
  async function signedInUser(): Promise<{ browser: TestBrowser; userId: string; email: string; page: string }> {
    const email = `user-${randomBytes(4).toString('hex')}@example.com`;
    const user = await rig.users.create({ email, displayName: 'Cached User' });
    rig.op.email = email;
    rig.op.subject = `sub-${email}`;
    const browser = new TestBrowser();
    const landed = await browser.open(`${rig.env.url}/servicecenter`);
    expect(landed.status).toBe(200);
    return { browser, userId: user.id, email, page: landed.body };
  }

  /** The page on the second instance, twice, so that it is served from its cache at least once. */
  async function servedBySecond(browser: TestBrowser): Promise<void> {
    for (let i = 0; i < 2; i++) expect((await browser.request(`${second.url}/servicecenter`)).status).toBe(200);
  }

  async function desktopToken(browser: TestBrowser): Promise<string> {
    return (await desktopLogin(rig.env.url, browser)).accessToken;
  }

  async function meOnSecond(token: string): Promise<number> {
    const response = await fetch(`${second.url}/api/desktop/me`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  }

  function storedSid(browser: TestBrowser): string {
    return decodeURIComponent(browser.cookie('localhost', SESSION_COOKIE)!).slice(2).split('.')[0];
  }

  it('serves a session the database no longer has from memory while nothing is announced (the cache is real)', async () => {
    const { browser } = await signedInUser();
    await servedBySecond(browser);
    // Deleted behind the service's back, with the triggers off: no announcement reaches anyone.
    await rig.env.db.query(`BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM sessions WHERE sid = '${storedSid(browser)}'; COMMIT;`);
    expect((await browser.request(`${second.url}/servicecenter`)).status).toBe(200);
  });

  it('serves a desktop token the database no longer has from memory while nothing is announced (the cache is real)', async () => {
    const { browser } = await signedInUser();
    const token = await desktopToken(browser);
    expect(await meOnSecond(token)).toBe(200);
    await rig.env.db.query(`BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM desktop_tokens WHERE token_hash = '${createHash('sha256').update(token).digest('hex')}'; COMMIT;`);
    expect(await meOnSecond(token)).toBe(200);
  });

  it('announces nothing for bookkeeping writes (a token used, a session seen and moved on), and announces a real change', async () => {
    const { browser } = await signedInUser();
    const token = await desktopToken(browser);
    const tokenHash = createHash('sha256').update(token).digest('hex');
    const sid = storedSid(browser);
    const heard: string[] = [];
    const client = new pg.Client({ connectionString: rig.env.db.url });
    await client.connect();
    try {
      client.on('notification', (message) => heard.push(message.payload ?? ''));
      await client.query('LISTEN frontdoor_revocations');
      await rig.env.db.query(`UPDATE desktop_tokens SET last_used_at = now() WHERE token_hash = $1`, [tokenHash]);
      await rig.env.db.query(
        `UPDATE sessions SET last_seen_at = now(), expires_at = expires_at + interval '1 minute',
                data = jsonb_set(jsonb_set(data, '{lastSeenAt}', to_jsonb(1)), '{cookie,expires}', to_jsonb(now()::text)) WHERE sid = $1`,
        [sid],
      );
      // The marker goes out after the writes above; once it is heard, so would they have been.
      await rig.env.db.query(`SELECT pg_notify('frontdoor_revocations', 'x:marker-1')`);
      await waitFor(() => heard.includes('x:marker-1'));
      expect(heard).toEqual(['x:marker-1']);

      await rig.env.db.query(`UPDATE sessions SET expires_at = expires_at - interval '1 minute' WHERE sid = $1`, [sid]);
      await rig.env.db.query(`UPDATE desktop_tokens SET expires_at = expires_at - interval '1 minute' WHERE token_hash = $1`, [tokenHash]);
      await rig.env.db.query(`SELECT pg_notify('frontdoor_revocations', 'x:marker-2')`);
      await waitFor(() => heard.includes('x:marker-2'));
      expect(heard.slice(1)).toEqual([`s:${createHash('sha256').update(sid).digest('hex')}`, `t:${tokenHash}`, 'x:marker-2']);
    } finally {
      await client.end();
    }
  });

  it('refuses on the other instance the next request after a logout', async () => {
    const { browser, page } = await signedInUser();
    await servedBySecond(browser);
    // The cookie as it was: the browser forgets it at logout, someone who copied it would not.
    const cookie = `${SESSION_COOKIE}=${browser.cookie('localhost', SESSION_COOKIE)}`;
    const form = csrfForm(page);
    const logout = await browser.request(`${rig.env.url}/auth/logout`, { method: 'POST', body: form.body, headers: { ...form.headers, origin: rig.env.url } });
    expect(logout.status).toBe(303);
    const next = await fetch(`${second.url}/servicecenter`, { headers: { cookie }, redirect: 'manual' });
    expect(next.status).toBe(302);
    expect(next.headers.get('location')).toMatch(/^\/auth\/login/);
  });

  it('refuses on the other instance the session and the desktop token of a user deactivated on the first', async () => {
    const { browser, userId } = await signedInUser();
    const token = await desktopToken(browser);
    await servedBySecond(browser);
    expect(await meOnSecond(token)).toBe(200);
    expect(await meOnSecond(token)).toBe(200);
    const deactivated = await fetch(`${rig.env.url}/api/admin/users/${userId}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } });
    expect(deactivated.status).toBeLessThan(300);
    expect((await browser.request(`${second.url}/servicecenter`)).status).toBe(302);
    expect(await meOnSecond(token)).toBe(401);
  });

  it('refuses on the other instance a desktop token logged out on the first', async () => {
    const { browser } = await signedInUser();
    const token = await desktopToken(browser);
    expect(await meOnSecond(token)).toBe(200);
    expect(await meOnSecond(token)).toBe(200);
    const logout = await fetch(`${rig.env.url}/api/desktop/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(204);
    expect(await meOnSecond(token)).toBe(401);
  });

  it('shows on the other instance a role taken away on the first as soon as the database announces it', async () => {
    const email = `admin-${randomBytes(4).toString('hex')}@example.com`;
    const user = await rig.users.create({ email, displayName: 'Short Admin', roles: ['admin', 'developer'] });
    rig.op.email = email;
    rig.op.subject = `sub-${email}`;
    const browser = new TestBrowser();
    expect((await browser.open(`${rig.env.url}/lifetime`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await browser.request(`${second.url}/lifetime`)).status).toBe(200);
    // A role change is not a revocation and does not wait for its echo; what is shown here is that the
    // other instance drops its copy when the database's announcement arrives.
    const heard = new Promise<void>((resolve) => second.service.app.get(RevocationListener).on('u', (id) => id === user.id && resolve()));
    const patched = await fetch(`${rig.env.url}/api/admin/users/${user.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['developer'] }),
    });
    expect(patched.status).toBe(200);
    await heard;
    expect((await browser.request(`${second.url}/lifetime`)).status).toBe(403);
  });

  it('drops everything it cached when it stops hearing announcements, and caches again once reconnected', async () => {
    const { browser } = await signedInUser();
    await servedBySecond(browser);
    const listeners = await rig.env.db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'frontdoor-revocations' AND datname = current_database()`);
    expect(listeners).toHaveLength(2);
    await rig.env.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'frontdoor-revocations' AND datname = current_database()`);
    // Both instances reconnect on their own (bounded wait for the new listening connections).
    const deadline = Date.now() + 10_000;
    let reconnected: Array<{ pid: number }> = [];
    while (Date.now() < deadline) {
      reconnected = await rig.env.db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'frontdoor-revocations' AND datname = current_database() AND query ILIKE 'LISTEN%'`);
      if (reconnected.filter((row) => !listeners.some((old) => old.pid === row.pid)).length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(reconnected.filter((row) => !listeners.some((old) => old.pid === row.pid))).toHaveLength(2);
    // The entry cached before the loss is gone: a row deleted silently is now refused.
    await rig.env.db.query(`BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM sessions WHERE sid = '${storedSid(browser)}'; COMMIT;`);
    expect((await browser.request(`${second.url}/servicecenter`)).status).toBe(302);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('not heard within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
