import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../src/bootstrap.js';
import { TestBrowser } from './support/browser.js';
import { startHandoff } from './support/desktop-login.js';
import { clickOpen } from './support/forms.js';
import { startRogueEnvironment, startSecondInstance, type RogueEnvironment } from './support/rogue-service.js';

/** Two instances on one PostgreSQL: nothing that matters may live in one process's memory. */
describe('several instances behind one host name', () => {
  let rig: RogueEnvironment;
  let second: RuntimeSecond;

  interface RuntimeSecond {
    service: RunningService;
    url: string;
  }

  beforeAll(async () => {
    rig = await startRogueEnvironment();
    await rig.users.create({ email: 'rogue@example.com', displayName: 'Rory Rogue' });
    second = await startSecondInstance(rig);
  });
  afterAll(async () => {
    await second?.service.close();
    await rig?.close();
  });

  it('finishes on one instance a login that another began, and both then know the session', async () => {
    const browser = new TestBrowser();
    const login = await browser.request(`${rig.env.url}/auth/login?returnTo=/servicecenter/x`);
    const authorize = await browser.request(login.headers.get('location')!);
    const callback = new URL(authorize.headers.get('location')!);
    expect(callback.origin).toBe(rig.env.url);
    const onSecond = new URL(callback.pathname + callback.search, second.url);

    const landed = await browser.request(onSecond.toString());
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/servicecenter/x');
    expect(rig.op.lastTokenRequest!.get('code_verifier')).toBeTruthy();
    for (const base of [rig.env.url, second.url]) {
      const page = await browser.open(`${base}/servicecenter`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Rory Rogue');
    }
  });

  it('redeems on one instance a handoff created and authenticated on the other', async () => {
    const browser = new TestBrowser();
    expect((await browser.open(`${rig.env.url}/servicecenter`)).status).toBe(200);
    const handoff = await startHandoff(rig.env.url);
    const page = await browser.open(handoff.browserUrl);
    const { href: open } = await clickOpen(browser, page);
    const redeemed = await fetch(`${second.url}/api/desktop/handoffs/${handoff.id}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: open.searchParams.get('code'), codeVerifier: handoff.verifier }),
    });
    expect(redeemed.status).toBe(200);
    const { accessToken } = await redeemed.json();
    const me = await fetch(`${rig.env.url}/api/desktop/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await me.json()).email).toBe('rogue@example.com');
  });
});
