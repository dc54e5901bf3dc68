import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from './support/browser.js';
import type { RogueMode } from './support/rogue-op.js';
import { startRogueEnvironment, visitConsole, type RogueEnvironment } from './support/rogue-service.js';

/** Each refused console login leaves one login.refused event with its stable reason code. */
describe('login audit reasons', () => {
  let rig: RogueEnvironment;

  beforeAll(async () => {
    rig = await startRogueEnvironment();
    await rig.users.create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => {
    rig.op.mode = 'good-rs256';
    rig.op.subject = 'rogue-sub-1';
    rig.op.email = 'rogue@example.com';
    rig.op.emailVerified = true;
  });

  async function lastLoginEvent(): Promise<{ type: string; outcome: string; reason: string | null; provider_id: string | null }> {
    const [event] = await rig.env.db.query<{ type: string; outcome: string; reason: string | null; provider_id: string | null }>(
      "SELECT type, outcome, reason, provider_id FROM audit_events WHERE type LIKE 'login.%' ORDER BY id DESC LIMIT 1",
    );
    return event;
  }

  it('records a successful login', async () => {
    expect((await visitConsole(rig.env)).status).toBe(200);
    expect(await lastLoginEvent()).toEqual({ type: 'login.succeeded', outcome: 'success', reason: null, provider_id: 'default' });
  });

  it.each<[RogueMode, string]>([
    ['bad-sig-rs256', 'bad_signature'],
    ['alg-none', 'bad_signature'],
    ['wrong-nonce', 'nonce_mismatch'],
    ['wrong-iss', 'bad_issuer'],
    ['wrong-aud', 'bad_audience'],
    ['wrong-azp', 'bad_azp'],
    ['expired', 'token_expired'],
    ['iat-in-future', 'bad_iat'],
    ['userinfo-bad-sub', 'userinfo_sub_mismatch'],
    ['deny', 'access_denied'],
  ])('records %s as login.refused with reason %s', async (mode, reason) => {
    rig.op.mode = mode;
    expect((await visitConsole(rig.env)).status).toBeGreaterThanOrEqual(400);
    expect(await lastLoginEvent()).toEqual({ type: 'login.refused', outcome: 'failure', reason, provider_id: 'default' });
  });

  it('records unknown users, unverified email and a replayed state with their own reasons', async () => {
    rig.op.email = 'nobody@example.com';
    rig.op.subject = 'someone-else';
    expect((await visitConsole(rig.env)).status).toBe(403);
    expect((await lastLoginEvent()).reason).toBe('not_registered');

    rig.op.email = 'rogue@example.com';
    rig.op.emailVerified = false;
    expect((await visitConsole(rig.env)).status).toBe(403);
    expect((await lastLoginEvent()).reason).toBe('email_unverified');

    const replay = await new TestBrowser().open(`${rig.env.url}/auth/callback/default?code=abc&state=forged`);
    expect(replay.status).toBe(400);
    expect((await lastLoginEvent()).reason).toBe('invalid_state');
  });
});
