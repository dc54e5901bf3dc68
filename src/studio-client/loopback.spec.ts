import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, type LoopbackListener } from './loopback.js';

describe('listenOnLoopback', () => {
  let listener: LoopbackListener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it('listens on 127.0.0.1 with a system-chosen port and the /callback path', async () => {
    listener = await listenOnLoopback('Service Studio');
    expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*\/callback$/);
  });

  it('takes only the handoff it waits for, the first time, and answers later arrivals with a page', async () => {
    listener = await listenOnLoopback('Service Studio');
    listener.expect('handoff-1');
    const url = (query: string, path = '/callback') => `${listener!.redirectUri.replace('/callback', path)}?${query}`;

    for (const [query, path, status] of [
      ['handoff=other&code=abc', '/callback', 400],
      ['code=abc', '/callback', 400],
      ['handoff=handoff-1', '/callback', 400],
      ['handoff=handoff-1&code=abc', '/favicon.ico', 404],
    ] as const) {
      const response = await fetch(url(query, path));
      expect(response.status).toBe(status);
      await response.text();
    }

    const first = fetch(url('handoff=handoff-1&code=first'));
    const arrival = await listener.arrival;
    expect(arrival.code).toBe('first');
    const second = await fetch(url('handoff=handoff-1&code=second'));
    expect(second.status).toBe(200);
    expect(await second.text()).toContain('Service Studio already received this login');

    arrival.respond({ ok: true, message: 'You can close this window & <return>' });
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.headers.get('cache-control')).toBe('no-store');
    expect(await answered.text()).toContain('You can close this window &#38; &#60;return&#62;');
  });

  it('refuses every callback before it knows its handoff', async () => {
    listener = await listenOnLoopback('Integration Studio');
    const response = await fetch(`${listener.redirectUri}?handoff=x&code=y`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Start the login again from Integration Studio');
  });
});
