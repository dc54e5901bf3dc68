import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressPolicy } from '../common/address-policy.js';
import { addressRefusalOf, CrossOriginRedirectError, ProviderHttp } from './provider-http.js';

/** The address check on real connections: a server on loopback, reached or refused by the policy. */
describe('ProviderHttp', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  const strict = new ProviderHttp(new AddressPolicy([]));
  const loopback = new ProviderHttp(new AddressPolicy(['127.0.0.0/8', '::1']));

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/same-origin') return res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/elsewhere') return res.writeHead(302, { location: 'http://198.51.100.7/ok' }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all([strict.onModuleDestroy(), loopback.onModuleDestroy()]);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function refusal(call: Promise<unknown>): Promise<string | undefined> {
    try {
      await call;
      return undefined;
    } catch (error) {
      return addressRefusalOf(error)?.kind ?? `other: ${(error as Error).message}`;
    }
  }

  it.each([
    ['a loopback literal', () => `http://127.0.0.1:${port}/ok`],
    ['a name that resolves to loopback (checked at the lookup)', () => `http://localhost:${port}/ok`],
    ['an IPv4-mapped IPv6 literal', () => `http://[::ffff:127.0.0.1]:${port}/ok`],
  ])('refuses %s without connecting, and reaches it when the policy allows loopback', async (_name, url) => {
    const before = hits;
    expect(await refusal(strict.fetch(url(), { signal: AbortSignal.timeout(2000) }))).toBe('a loopback address');
    expect(hits).toBe(before);
    if (url().includes('::ffff')) return;
    const response = await loopback.fetch(url(), { signal: AbortSignal.timeout(2000) });
    expect(response.status).toBe(200);
    expect(hits).toBe(before + 1);
  });

  it('refuses the cloud metadata address as link-local', async () => {
    expect(await refusal(loopback.fetch('http://169.254.169.254/latest/meta-data/', { signal: AbortSignal.timeout(2000) }))).toBe('a link-local address');
  });

  it('follows a redirect within the origin when asked, never one to another origin, and none by default', async () => {
    const followed = await loopback.fetch(`http://127.0.0.1:${port}/same-origin`, {}, { redirects: 'same-origin' });
    expect(followed.status).toBe(200);
    const notFollowed = await loopback.fetch(`http://127.0.0.1:${port}/same-origin`);
    expect(notFollowed.status).toBe(302);
    await expect(loopback.fetch(`http://127.0.0.1:${port}/elsewhere`, {}, { redirects: 'same-origin' })).rejects.toBeInstanceOf(CrossOriginRedirectError);
  });

  it('checks Node http requests made through its agents (the token and userinfo calls)', async () => {
    const get = (http: ProviderHttp, host: string) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = request({ host, port, path: '/ok', agent: http.agentFor('http:') }, resolve);
        req.on('error', reject);
        req.end();
      });
    expect(await refusal(get(strict, '127.0.0.1'))).toBe('a loopback address');
    expect(await refusal(get(strict, 'localhost'))).toBe('a loopback address');
    const response = await get(loopback, 'localhost');
    expect(response.statusCode).toBe(200);
    response.resume();
  });
});
