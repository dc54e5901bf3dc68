import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser, type Page } from './support/browser.js';
import { startHandoff } from './support/desktop-login.js';
import { clickOpen } from './support/forms.js';
import { DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** What a handoff step may touch: its tables and transaction control, not the session layer's. */
const HANDOFF_STATEMENT = /handoff_tickets|desktop_token|desktop_refresh|audit_events|^\s*(START|BEGIN|COMMIT|ROLLBACK)/i;

describe('handoff round trips', () => {
  let env: TestService;
  let browser: TestBrowser;
  let databaseName: string;
  /** Statements the service sent to its database since the last `take()`, as far as the handoff's tables go. */
  let sent: string[] = [];
  const originalQuery = pg.Client.prototype.query;

  function take(): string[] {
    const taken = sent;
    sent = [];
    return taken;
  }

  function redeem(id: string, code: string, codeVerifier: string): Promise<Response> {
    return fetch(`${env.url}/api/desktop/handoffs/${id}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, codeVerifier }) });
  }

  const events = (handoffId: string) =>
    env.db.query<{ type: string; outcome: string; user_id: string | null; email: string | null; details: Record<string, string> }>(
      `SELECT type, outcome, user_id, email, details FROM audit_events WHERE details->>'handoffId' = $1 ORDER BY id`,
      [handoffId],
    );

  beforeAll(async () => {
    env = await startTestService();
    databaseName = new URL(env.db.url).pathname.slice(1);
    pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
      const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
      if (this.database === databaseName && typeof text === 'string' && HANDOFF_STATEMENT.test(text)) sent.push(text);
      return (originalQuery as (...args: unknown[]) => unknown).call(this, config, ...rest);
    } as typeof pg.Client.prototype.query;
    browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
  });

  afterAll(async () => {
    pg.Client.prototype.query = originalQuery;
    await env?.close();
  });

  it('costs one statement per step, each with its audit event, the redemption with its tokens', async () => {
    // What signing in wrote (its audit event) is not the handoff's.
    await new Promise((resolve) => setTimeout(resolve, 100));
    take();
    const handoff = await startHandoff(env.url);
    const create = take();
    const page: Page = await browser.open(handoff.browserUrl);
    expect(page.status).toBe(200);
    const show = take();
    const { href } = await clickOpen(browser, page);
    const open = take();
    const response = await redeem(handoff.id, href.searchParams.get('code')!, handoff.verifier);
    expect(response.status).toBe(200);
    const tokens = await response.json();
    const redemption = take();

    expect([create.length, show.length, open.length, redemption.length]).toEqual([1, 1, 1, 1]);
    expect(tokens).toMatchObject({ tokenType: 'Bearer', user: { email: DEVELOPER.email, displayName: DEVELOPER.name } });
    const [user] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [DEVELOPER.email]);
    expect(tokens.user.id).toBe(user.id);
    expect(await events(handoff.id)).toEqual([
      { type: 'handoff.created', outcome: 'success', user_id: null, email: null, details: { handoffId: handoff.id, client: 'service-studio' } },
      { type: 'handoff.authenticated', outcome: 'success', user_id: user.id, email: DEVELOPER.email, details: { handoffId: handoff.id, client: 'service-studio' } },
      { type: 'handoff.redeemed', outcome: 'success', user_id: user.id, email: DEVELOPER.email, details: { handoffId: handoff.id } },
    ]);
    const [family] = await env.db.query<{ user_id: string; client: string; refresh_tokens: number }>(
      `SELECT f.user_id, f.client, (SELECT count(*)::int FROM desktop_refresh_tokens r WHERE r.family_id = f.id) AS refresh_tokens
         FROM desktop_tokens t JOIN desktop_token_families f ON f.id = t.family_id WHERE t.handoff_id = $1`,
      [handoff.id],
    );
    expect(family).toEqual({ user_id: user.id, client: 'service-studio', refresh_tokens: 1 });
    expect((await fetch(`${env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })).status).toBe(200);
  });

  it('writes no token and no success event for a redemption that changes nothing', async () => {
    const handoff = await startHandoff(env.url);
    const { href } = await clickOpen(browser, await browser.open(handoff.browserUrl));
    const wrong = await redeem(handoff.id, href.searchParams.get('code')!, randomBytes(32).toString('base64url'));
    expect(wrong.status).toBe(400);
    expect(await env.db.query('SELECT 1 FROM desktop_tokens WHERE handoff_id = $1', [handoff.id])).toHaveLength(0);
    expect((await events(handoff.id)).map((event) => `${event.type}:${event.outcome}`)).toEqual(['handoff.created:success', 'handoff.authenticated:success', 'handoff.redeemed:failure']);
  });

  it('changes nothing when its audit event cannot be written: a step is never left unrecorded', async () => {
    const handoff = await startHandoff(env.url);
    const page = await browser.open(handoff.browserUrl);
    await env.db.query(`ALTER TABLE audit_events ADD CONSTRAINT refuse_claims CHECK (type <> 'handoff.authenticated') NOT VALID`);
    try {
      const click = await browser.request(new URL(`/desktop/handoff/${handoff.id}/open`, env.url).toString(), {
        method: 'POST',
        body: new URLSearchParams({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)![1] }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      await click.arrayBuffer();
      expect(click.status).toBeGreaterThanOrEqual(500);
    } finally {
      await env.db.query('ALTER TABLE audit_events DROP CONSTRAINT refuse_claims');
    }
    expect(await env.db.query('SELECT status, user_id, code_hash FROM handoff_tickets WHERE id = $1', [handoff.id])).toEqual([{ status: 'pending', user_id: null, code_hash: null }]);
  });
});
