import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../src/bootstrap.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin, desktopMe, refresh, type DesktopTokens } from './support/desktop-login.js';
import { startRogueEnvironment, startSecondInstance, type RogueEnvironment } from './support/rogue-service.js';
import { adminToken, createScimToken, scimClient } from './support/scim.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * A directory's deactivation reaches every instance before its answer: a console session and a
 * desktop token that instance B has just served (and cached) are refused on their very next
 * request after instance A answered the SCIM request. Both instances keep their caches on.
 */
describe('SCIM deactivation on every instance', () => {
  let rig: RogueEnvironment;
  let b: { service: RunningService; url: string };
  let scim: ReturnType<typeof scimClient>;
  let admin: string;
  let userId: string;

  beforeAll(async () => {
    rig = await startRogueEnvironment();
    await rig.users.create({ email: 'boss@example.com', roles: ['admin'] });
    admin = await adminToken(rig.env.db.url, 'boss@example.com');
    scim = scimClient(rig.env.url, (await createScimToken(rig.env.url, admin, 'default', 'Entra ID')).token);
    const created = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: rig.op.email, name: { givenName: 'Rory', familyName: 'Rogue' }, active: true });
    expect(created.status).toBe(201);
    userId = String(created.body.id);
    b = await startSecondInstance(rig);
  });
  afterAll(async () => {
    await b?.service.close();
    await rig?.close();
  });

  async function servedOnB(browser: TestBrowser): Promise<boolean> {
    const response = await browser.request(`${b.url}/servicecenter`);
    await response.arrayBuffer();
    return response.status === 200;
  }

  /** Signed in on A, with a Studio's tokens, both served (so cached) by B. */
  async function signedInEverywhere(): Promise<{ browser: TestBrowser; tokens: DesktopTokens }> {
    const browser = new TestBrowser();
    expect((await browser.open(`${rig.env.url}/servicecenter`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect(await servedOnB(browser)).toBe(true);
    const tokens = await desktopLogin(rig.env.url, browser);
    for (let i = 0; i < 2; i++) expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(200);
    return { browser, tokens };
  }

  it('Entra ID\'s PATCH active "False" on A: the session and the desktop token are refused on B at once', async () => {
    const { browser, tokens } = await signedInEverywhere();
    const answer = await scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(answer.status).toBe(200);
    expect(answer.body.active).toBe(false);
    expect(await servedOnB(browser)).toBe(false);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);
    expect((await refresh(b.url, tokens.refreshToken)).status).toBe(400);
    // Not signed in again while inactive.
    expect((await new TestBrowser().open(`${rig.env.url}/servicecenter`)).status).toBe(403);
  });

  it("active true lets the user sign in again; Okta's PUT active false then ends it on B", async () => {
    const back = await scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(back.status).toBe(200);
    const { browser, tokens } = await signedInEverywhere();
    const put = await scim('PUT', `/Users/${userId}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: rig.op.email, active: false });
    expect(put.status).toBe(200);
    expect(await servedOnB(browser)).toBe(false);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);
  });

  it('DELETE on A ends access on B, and the user stays, deactivated, for the audit trail', async () => {
    expect((await scim('PUT', `/Users/${userId}`, { userName: rig.op.email, active: true })).status).toBe(200);
    const { browser, tokens } = await signedInEverywhere();
    expect((await scim('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect(await servedOnB(browser)).toBe(false);
    expect((await desktopMe(b.url, tokens.accessToken)).status).toBe(401);
    expect((await scim('GET', `/Users/${userId}`)).status).toBe(404);
    expect(await rig.env.db.query('SELECT active FROM users WHERE id = $1', [userId])).toEqual([{ active: false }]);
    const events = await rig.env.db.query<{ type: string; details: { sessions: number; desktopTokens: number } }>(`SELECT type, details FROM audit_events WHERE type = 'scim.user.deactivated' ORDER BY id`);
    expect(events).toHaveLength(3);
    expect(events.every((event) => event.details.sessions >= 1 && event.details.desktopTokens >= 1)).toBe(true);
  });

  it('a SCIM token revoked on A is refused on B at once, although B has just served (and cached) it', async () => {
    const token = await createScimToken(rig.env.url, admin, 'default', 'Revoked soon');
    const onB = scimClient(b.url, token.token);
    for (let i = 0; i < 2; i++) expect((await onB('GET', '/ServiceProviderConfig')).status).toBe(200);
    const revoked = await fetch(`${rig.env.url}/api/admin/scim-tokens/${token.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(revoked.status).toBe(204);
    expect((await onB('GET', '/ServiceProviderConfig')).status).toBe(401);
  });
});
