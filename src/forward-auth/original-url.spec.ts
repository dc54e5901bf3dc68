import express, { type Request } from 'express';
import { describe, expect, it } from 'vitest';
import { originalUrl, protectedOrigin } from './original-url.js';

function request(trustProxy: boolean | string[], peer: string, headers: Record<string, string>): Request {
  const app = express();
  app.set('trust proxy', trustProxy);
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { app, socket: { remoteAddress: peer }, header: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

describe('originalUrl', () => {
  it('reads nginx X-Original-URL from a trusted proxy', () => {
    expect(originalUrl(request(['10.0.0.0/8'], '10.1.2.3', { 'X-Original-URL': 'https://wiki.example/a?b=1' }))?.toString()).toBe('https://wiki.example/a?b=1');
  });

  it('reads Traefik and Caddy X-Forwarded-Proto/Host/Uri from a trusted proxy', () => {
    const url = originalUrl(request(['127.0.0.1'], '127.0.0.1', { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'wiki.example', 'X-Forwarded-Uri': '/p?q=1' }));
    expect(url?.toString()).toBe('https://wiki.example/p?q=1');
  });

  it.each([
    [false, '127.0.0.1'],
    [['10.0.0.0/8'], '192.168.1.5'],
  ] as const)('ignores every header unless the peer is a trusted proxy (%j, %s)', (trust, peer) => {
    expect(originalUrl(request(trust as boolean | string[], peer, { 'X-Original-URL': 'https://wiki.example/' }))).toBeUndefined();
    expect(originalUrl(request(trust as boolean | string[], peer, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'wiki.example' }))).toBeUndefined();
  });

  it.each<Record<string, string>>([
    { 'X-Original-URL': 'javascript:alert(1)' },
    { 'X-Original-URL': 'not a url' },
    { 'X-Original-URL': 'https://a.example/, https://b.example/' },
    { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'a.example, b.example' },
    { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'a.example', 'X-Forwarded-Uri': '//b.example/' },
    { 'X-Forwarded-Host': 'a.example' },
  ])('refuses %j', (headers) => {
    expect(originalUrl(request(true, '127.0.0.1', headers))).toBeUndefined();
  });
});

describe('protectedOrigin', () => {
  it.each([
    ['https://wiki.example', 'https://wiki.example'],
    ['https://wiki.example/', 'https://wiki.example'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['HTTPS://WIKI.EXAMPLE', undefined],
    ['https://wiki.example/path', undefined],
    ['https://wiki.example?x=1', undefined],
    ['https://wiki.example#top', undefined],
    ['https://user@wiki.example', undefined],
    ['//wiki.example', undefined],
    ['/servicecenter', undefined],
    ['javascript:alert(1)', undefined],
    ['ftp://wiki.example', undefined],
    ['https://wiki.example\n', undefined],
    ['https:\\\\wiki.example', undefined],
    ['%68ttps://wiki.example', undefined],
    ['', undefined],
    [`https://${'a'.repeat(3000)}.example`, undefined],
    [['https://wiki.example'], undefined],
    [undefined, undefined],
  ])('%s → %s', (raw, expected) => {
    expect(protectedOrigin(raw)).toBe(expected);
  });
});
