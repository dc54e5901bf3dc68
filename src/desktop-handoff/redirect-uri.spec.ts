import { describe, expect, it } from 'vitest';
import { checkRedirectUri } from './redirect-uri.js';

describe('checkRedirectUri', () => {
  it('uses the registered custom scheme when none is given', () => {
    expect(checkRedirectUri('service-studio', undefined)).toEqual({ ok: true, uri: 'servicestudio://auth' });
    expect(checkRedirectUri('integration-studio', undefined)).toEqual({ ok: true, uri: 'integrationstudio://auth' });
  });

  it.each([
    ['service-studio', 'servicestudio://auth'],
    ['integration-studio', 'integrationstudio://auth'],
    ['service-studio', 'http://127.0.0.1:49152/callback'],
    ['service-studio', 'http://127.0.0.1:1/'],
    ['integration-studio', 'http://127.0.0.1:65535/a/b-c_d.e~f'],
    ['service-studio', 'http://[::1]:8080/callback'],
    ['service-studio', 'http://127.0.0.1:80/cb'],
  ] as const)('accepts %s %s', (client, uri) => {
    expect(checkRedirectUri(client, uri)).toEqual({ ok: true, uri });
  });

  it.each([
    ['integration-studio', 'servicestudio://auth'],
    ['service-studio', 'integrationstudio://auth'],
    ['service-studio', 'servicestudio://auth/'],
    ['service-studio', 'servicestudio://auth?x=1'],
    ['service-studio', 'SERVICESTUDIO://auth'],
    ['service-studio', 'servicestudio://evil.example'],
    ['service-studio', 'https://evil.example/cb'],
    ['service-studio', 'http://evil.example:1234/cb'],
    ['service-studio', 'http://localhost:1234/cb'],
    ['service-studio', 'http://LOCALHOST:1234/cb'],
    ['service-studio', 'https://127.0.0.1:1234/cb'],
    ['service-studio', 'http://127.0.0.1/cb'],
    ['service-studio', 'http://127.0.0.1:/cb'],
    ['service-studio', 'http://127.0.0.1:1234'],
    ['service-studio', 'http://127.0.0.1:0/cb'],
    ['service-studio', 'http://127.0.0.1:65536/cb'],
    ['service-studio', 'http://127.0.0.1:01234/cb'],
    ['service-studio', 'http://user@127.0.0.1:1234/cb'],
    ['service-studio', 'http://user:pw@127.0.0.1:1234/cb'],
    ['service-studio', 'http://127.0.0.1:1234@evil.example/cb'],
    ['service-studio', 'http://127.0.0.1:1234/cb#frag'],
    ['service-studio', 'http://127.0.0.1:1234/cb#'],
    ['service-studio', 'http://127.0.0.1:1234/cb?x=1'],
    ['service-studio', 'http://127.0.0.1:1234/a/../cb'],
    ['service-studio', 'http://127.0.0.1:1234/a/./cb'],
    ['service-studio', 'http://127.0.0.1:1234\\cb'],
    ['service-studio', 'http://127.0.0.1:1234/c b'],
    ['service-studio', 'http://127.1:1234/cb'],
    ['service-studio', 'http://2130706433:1234/cb'],
    ['service-studio', 'http://0x7f.0.0.1:1234/cb'],
    ['service-studio', 'http://127.0.0.2:1234/cb'],
    ['service-studio', 'http://[::ffff:127.0.0.1]:1234/cb'],
    ['service-studio', 'http://[0:0:0:0:0:0:0:1]:1234/cb'],
    ['service-studio', 'http://127.0.0.1.evil.example:1234/cb'],
    ['service-studio', ' http://127.0.0.1:1234/cb'],
    ['service-studio', 'http://127.0.0.1:1234/cb\n'],
    ['service-studio', 'javascript:alert(1)'],
    ['service-studio', ''],
    ['service-studio', `http://127.0.0.1:1234/${'a'.repeat(600)}`],
  ] as const)('refuses %s %j', (client, uri) => {
    const result = checkRedirectUri(client, uri);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/redirectUri/);
  });

  it('explains why localhost is refused', () => {
    const result = checkRedirectUri('service-studio', 'http://localhost:1234/cb');
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('RFC 8252') });
  });
});
