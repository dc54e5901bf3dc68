import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TrustEmailNotice } from '../src/access/trust-email-notice.js';
import { IdentityProvidersService } from '../src/identity-providers/identity-providers.service.js';
import type { User } from '../src/users/user.entity.js';
import { TestBrowser } from './support/browser.js';
import { startHandoff } from './support/desktop-login.js';
import { addPartnerProvider } from './support/partner-provider.js';
import type { RogueOp } from './support/rogue-op.js';
import { signedInSessions, startRogueEnvironment, type RogueEnvironment } from './support/rogue-service.js';

/**
 * A second provider must not become any user by asserting that user's email: each path that once
 * let it (another provider's verified email, an email the provider never verified, a username
 * nobody verified, an address outside the provider's domains) is tried here, and refused with its
 * reason, writing nothing. The rightful owner links the second provider by signing in once through
 * the first.
 */
describe('trust between providers', () => {
  let rig: RogueEnvironment;
  let partner: RogueOp;
  let casey: User;

  beforeAll(async () => {
    rig = await startRogueEnvironment();
    partner = await addPartnerProvider(rig.env);
    casey = await rig.users.create({ email: 'casey@corp.example', displayName: 'Casey Corp', roles: ['admin'] });
    // Casey signs in through the company's provider first: that identity is Casey's.
    rig.op.subject = 'casey-corp';
    rig.op.email = 'casey@corp.example';
    const home = await new TestBrowser().open(`${rig.env.url}/auth/login/default?returnTo=%2Fservicecenter`);
    expect(home.body).toContain('Casey Corp');
  });
  afterAll(async () => {
    await rig?.close();
    await partner?.close();
  });
  beforeEach(async () => {
    partner.subject = 'partner-sub';
    partner.email = 'casey@corp.example';
    partner.emailVerified = true;
    partner.extraClaims = {};
    rig.op.subject = 'casey-corp';
    rig.op.email = 'casey@corp.example';
    rig.op.emailVerified = true;
    await setPartner({ trustEmail: false, emailDomains: [], matchClaim: 'email' });
  });

  function setPartner(changes: Parameters<IdentityProvidersService['update']>[1]) {
    return rig.env.service.app.get(IdentityProvidersService).update('partner', changes);
  }

  const viaPartner = (browser = new TestBrowser()) => browser.open(`${rig.env.url}/auth/login/partner?returnTo=%2Fservicecenter`);

  async function links(subject: string): Promise<number> {
    const [row] = await rig.env.db.query<{ n: string }>('SELECT count(*) AS n FROM linked_identities WHERE subject = $1', [subject]);
    return Number(row.n);
  }

  async function lastRefusal(): Promise<{ reason: string; provider_id: string; email: string | null }> {
    const [event] = await rig.env.db.query<{ reason: string; provider_id: string; email: string | null }>(
      "SELECT reason, provider_id, email FROM audit_events WHERE type = 'login.refused' ORDER BY id DESC LIMIT 1",
    );
    return event;
  }

  async function refusedMetric(reason: string): Promise<number> {
    const text = await (await fetch(`${rig.env.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith(`frontdoor_logins_total{provider="partner",outcome="failure",reason="${reason}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it.each<[string, () => Promise<void>, string]>([
    ['a verified email of a user who signs in through another provider', async () => {}, 'link_confirmation_required'],
    [
      'an email the provider does not say is verified',
      async () => {
        partner.emailVerified = undefined;
      },
      'email_unverified',
    ],
    [
      'an email the provider says is unverified, although the provider is trusted',
      async () => {
        partner.emailVerified = false;
        await setPartner({ trustEmail: true });
      },
      'email_unverified',
    ],
    [
      'a username nobody verified (matchClaim preferred_username without trustEmail)',
      async () => {
        partner.extraClaims = { preferred_username: 'casey@corp.example' };
        await setPartner({ matchClaim: 'preferred_username' });
      },
      'email_unverified',
    ],
    [
      'an address outside the domains the provider is trusted with',
      async () => {
        await setPartner({ emailDomains: ['partner.example'] });
      },
      'domain_not_allowed',
    ],
  ])('refuses to become Casey through %s, writing nothing', async (_path, arrange, reason) => {
    await arrange();
    const sessions = await signedInSessions(rig.env);
    const metricBefore = await refusedMetric(reason);
    const page = await viaPartner();
    expect(page.status).toBe(403);
    expect(page.url).toContain('/auth/callback/partner');
    expect(page.body).not.toContain('Casey Corp');
    expect(await links('partner-sub')).toBe(0);
    expect(await signedInSessions(rig.env)).toBe(sessions);
    expect(await lastRefusal()).toMatchObject({ reason, provider_id: 'partner' });
    expect(await refusedMetric(reason)).toBe(metricBefore + 1);
  });

  it('names the provider the account signs in through, and its button asks that provider for the same account again', async () => {
    const page = await viaPartner();
    expect(page.status).toBe(403);
    expect(page.body).toContain('Confirm it is you');
    expect(page.body).toContain(`casey@corp.example signs in to this environment through ${rig.env.service.config.oidc.displayName}`);
    const href = /id="confirm-link" href="([^"]+)"/.exec(page.body)![1].replace(/&amp;/g, '&');
    const start = new URL(href, rig.env.url);
    expect(start.pathname).toBe('/auth/login/default');
    expect(start.searchParams.get('prompt')).toBe('login');
    expect(start.searchParams.get('login_hint')).toBe('casey@corp.example');
    expect(start.searchParams.get('returnTo')).toBe('/servicecenter');
  });

  it('links the partner identity once Casey signs in through the company provider from that page, and then lets the partner in directly', async () => {
    const browser = new TestBrowser();
    const page = await viaPartner(browser);
    const href = /id="confirm-link" href="([^"]+)"/.exec(page.body)![1].replace(/&amp;/g, '&');
    const confirmed = await browser.open(new URL(href, rig.env.url).toString());
    expect(rig.op.lastAuthorizationRequest!.get('prompt')).toBe('login');
    expect(rig.op.lastAuthorizationRequest!.get('login_hint')).toBe('casey@corp.example');
    expect(confirmed.status).toBe(200);
    expect(confirmed.url).toBe(`${rig.env.url}/servicecenter`);
    expect(confirmed.body).toContain('Casey Corp');
    const [linked] = await rig.env.db.query<{ user_id: string; provider_id: string }>("SELECT user_id, provider_id FROM linked_identities WHERE subject = 'partner-sub'");
    expect(linked).toEqual({ user_id: casey.id, provider_id: 'partner' });
    const [event] = await rig.env.db.query<{ user_id: string; provider_id: string; details: Record<string, string> }>(
      "SELECT user_id, provider_id, details FROM audit_events WHERE type = 'identity.linked' ORDER BY id DESC LIMIT 1",
    );
    expect(event).toEqual({ user_id: casey.id, provider_id: 'partner', details: { via: 'confirmation', confirmedThrough: 'default' } });

    const direct = await viaPartner();
    expect(direct.status).toBe(200);
    expect(direct.body).toContain('Casey Corp');
    await rig.env.db.query("DELETE FROM linked_identities WHERE subject = 'partner-sub'");
  });

  it('keeps a Studio handoff waiting through the confirmation, and lands on it afterwards', async () => {
    const handoff = await startHandoff(rig.env.url);
    const path = new URL(handoff.browserUrl).pathname;
    const browser = new TestBrowser();
    const page = await browser.open(`${rig.env.url}/auth/login/partner?returnTo=${encodeURIComponent(path)}`);
    expect(page.status).toBe(403);
    const status = async () => (await (await fetch(`${rig.env.url}/api/desktop/handoffs/${handoff.id}`)).json()).status;
    expect(await status()).toBe('pending');
    const href = /id="confirm-link" href="([^"]+)"/.exec(page.body)![1].replace(/&amp;/g, '&');
    const landed = await browser.open(new URL(href, rig.env.url).toString());
    expect(landed.url).toBe(`${rig.env.url}${path}`);
    expect(landed.body).toContain('Open Service Studio');
    await rig.env.db.query("DELETE FROM linked_identities WHERE subject = 'partner-sub'");
  });

  it('links nothing when the confirming sign-in comes back as somebody else', async () => {
    await rig.users.create({ email: 'sam@corp.example', displayName: 'Sam Corp' });
    const browser = new TestBrowser();
    const page = await viaPartner(browser);
    const href = /id="confirm-link" href="([^"]+)"/.exec(page.body)![1].replace(/&amp;/g, '&');
    // At the company provider the person signs in as Sam, not as Casey.
    rig.op.subject = 'sam-corp';
    rig.op.email = 'sam@corp.example';
    const landed = await browser.open(new URL(href, rig.env.url).toString());
    expect(landed.status).toBe(200);
    expect(landed.body).toContain('Sam Corp');
    expect(await links('partner-sub')).toBe(0);
    // The offer was used up: Casey signing in through the company provider afterwards links nothing either.
    rig.op.subject = 'casey-corp';
    rig.op.email = 'casey@corp.example';
    expect((await browser.open(new URL(href, rig.env.url).toString())).status).toBe(200);
    expect(await links('partner-sub')).toBe(0);
  });

  it('links nothing for a browser that did not receive the offer', async () => {
    const page = await viaPartner();
    const href = /id="confirm-link" href="([^"]+)"/.exec(page.body)![1].replace(/&amp;/g, '&');
    expect((await new TestBrowser().open(new URL(href, rig.env.url).toString())).status).toBe(200);
    expect(await links('partner-sub')).toBe(0);
  });

  it('lets a trusted provider without email_verified link a user with no identity yet (Entra ID with trustEmail)', async () => {
    const dana = await rig.users.create({ email: 'dana@corp.example' });
    partner.subject = 'dana-partner';
    partner.email = 'dana@corp.example';
    partner.emailVerified = undefined;
    await setPartner({ trustEmail: true, emailDomains: ['corp.example'] });
    expect((await viaPartner()).status).toBe(200);
    const [linked] = await rig.env.db.query<{ user_id: string }>("SELECT user_id FROM linked_identities WHERE subject = 'dana-partner'");
    expect(linked.user_id).toBe(dana.id);
  });

  it('says once at start-up which provider needs trustEmail while users are not yet linked', async () => {
    await rig.users.create({ email: 'not-yet-linked@corp.example' });
    const notice = rig.env.service.app.get(TrustEmailNotice);
    const warnings = async (): Promise<string[]> => {
      const lines: string[] = [];
      const capture = (...parts: unknown[]) => void lines.push(parts.map(String).join(' '));
      Logger.overrideLogger({ log: () => {}, error: capture, warn: capture, debug: () => {}, verbose: () => {}, fatal: capture });
      try {
        await notice.onApplicationBootstrap();
      } finally {
        Logger.overrideLogger(['fatal', 'error']);
      }
      return lines.filter((line) => line.includes('trustEmail'));
    };
    await setPartner({ matchClaim: 'preferred_username' });
    const [line, ...more] = await warnings();
    expect(more).toEqual([]);
    expect(line).toContain('partner (matches preferred_username)');
    expect(line).not.toContain('default');
    await setPartner({ matchClaim: 'preferred_username', trustEmail: true });
    expect(await warnings()).toEqual([]);
  });
});
