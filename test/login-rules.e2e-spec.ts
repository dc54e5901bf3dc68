import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signedInSessions, startRogueEnvironment, visitConsole, type RogueEnvironment } from './support/rogue-service.js';

async function identityRows(rig: RogueEnvironment): Promise<Array<{ user_id: string; subject: string }>> {
  return rig.env.db.query('SELECT user_id, subject FROM linked_identities ORDER BY linked_at');
}

describe('login rule: linked identity first, then the matching claim', () => {
  let rig: RogueEnvironment;

  beforeAll(async () => {
    rig = await startRogueEnvironment();
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => {
    rig.op.mode = 'good-rs256';
    rig.op.emailVerified = true;
    rig.op.extraClaims = {};
  });

  it('links the identity on the first email match, then recognises the subject even when the email changes', async () => {
    const user = await rig.users.create({ email: 'Casey@Example.com', displayName: 'Casey' });
    rig.op.subject = 'casey-sub';
    rig.op.email = 'casey@example.COM';
    expect((await visitConsole(rig.env)).status).toBe(200);
    expect(await identityRows(rig)).toEqual([{ user_id: user.id, subject: 'casey-sub' }]);
    const keptAt = async () => (await rig.env.db.query<{ claims: { email: string }; claims_at: Date }>("SELECT claims, claims_at FROM linked_identities WHERE subject = 'casey-sub'"))[0];
    const first = await keptAt();
    // The same claims again (a new nonce, iat and sid only): nothing to write.
    expect((await visitConsole(rig.env)).status).toBe(200);
    expect((await keptAt()).claims_at).toEqual(first.claims_at);

    rig.op.email = 'casey.renamed@example.com';
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Casey');
    expect((await keptAt()).claims.email).toBe('casey.renamed@example.com');
  });

  it('does not let another subject showing the same email take a linked user over', async () => {
    rig.op.subject = 'impostor-sub';
    rig.op.email = 'casey@example.com';
    const before = await signedInSessions(rig.env);
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(403);
    expect(page.body).toContain('not registered in this environment');
    expect((await identityRows(rig)).map((row) => row.subject)).toEqual(['casey-sub']);
    expect(await signedInSessions(rig.env)).toBe(before);
  });

  it('does not bridge on an email the provider says is unverified', async () => {
    await rig.users.create({ email: 'unverified@example.com' });
    rig.op.subject = 'unverified-sub';
    rig.op.email = 'unverified@example.com';
    rig.op.emailVerified = false;
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(403);
    expect(page.body).toContain('unverified@example.com');
    expect((await identityRows(rig)).some((row) => row.subject === 'unverified-sub')).toBe(false);

    // Saying nothing is not saying yes: without trustEmail an email must be verified.
    rig.op.emailVerified = undefined;
    expect((await visitConsole(rig.env)).status).toBe(403);
    expect((await identityRows(rig)).some((row) => row.subject === 'unverified-sub')).toBe(false);
  });

  it('refuses a deactivated user, linked or not', async () => {
    const user = await rig.users.create({ email: 'leaver@example.com' });
    rig.op.subject = 'leaver-sub';
    rig.op.email = 'leaver@example.com';
    expect((await visitConsole(rig.env)).status).toBe(200);
    await rig.users.update(user.id, { active: false });
    const before = await signedInSessions(rig.env);
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(403);
    expect(page.body).toContain('leaver@example.com is not registered in this environment');
    expect(await signedInSessions(rig.env)).toBe(before);
  });
});

describe('login rule with OIDC_MATCH_CLAIM=preferred_username (as set up for Entra ID and Okta)', () => {
  let rig: RogueEnvironment;

  beforeAll(async () => {
    rig = await startRogueEnvironment({}, { OIDC_MATCH_CLAIM: 'preferred_username', OIDC_TRUST_EMAIL: 'true' });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('matches users on preferred_username, not on email', async () => {
    await rig.users.create({ email: 'pat@corp.example', displayName: 'Pat UPN' });
    await rig.users.create({ email: 'pat.mail@example.com', displayName: 'Pat Mail' });
    rig.op.subject = 'pat-sub';
    rig.op.email = 'pat.mail@example.com';
    rig.op.extraClaims = { preferred_username: 'PAT@corp.example' };
    const page = await visitConsole(rig.env);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Pat UPN');

    rig.op.subject = 'nobody-sub';
    rig.op.extraClaims = { preferred_username: 'nobody@corp.example' };
    expect((await visitConsole(rig.env)).status).toBe(403);
  });
});
