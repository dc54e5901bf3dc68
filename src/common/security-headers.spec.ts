import express from 'express';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { cspNonce, securityHeaders } from './security-headers.js';

async function headersOf(app: express.Express, path: string): Promise<Record<string, string>> {
  const server = app.listen(0);
  try {
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return Object.fromEntries(response.headers);
  } finally {
    server.close();
  }
}

describe('securityHeaders', () => {
  it('sends exactly the headers helmet sets with the same options, plus the policy', async () => {
    for (const https of [false, true]) {
      const app = express();
      app.disable('x-powered-by');
      const options = { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false, referrerPolicy: { policy: 'no-referrer' as const }, frameguard: { action: 'deny' as const } };
      app.get('/helmet', helmet({ ...options, strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false }), (_req, res) => res.send(''));
      app.get('/page', securityHeaders({ https, formTargets: ['https://idp.example'] }), (_req, res) => res.send(''));
      const expected = await headersOf(app, '/helmet');
      const page = await headersOf(app, '/page');
      for (const name of ['content-security-policy', 'cache-control', 'date', 'content-length', 'content-type', 'etag']) {
        delete expected[name];
      }
      for (const [name, value] of Object.entries(expected)) expect(page[name], name).toBe(value);
      expect(page['cache-control']).toBe('no-store');
      expect(page['content-security-policy']).toMatch(/script-src 'nonce-[A-Za-z0-9+/]{22}=='; form-action 'self' https:\/\/idp\.example$/);
    }
  });

  it('gives every answer its own nonce, across refills of the random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(cspNonce());
    expect(seen.size).toBe(1000);
    for (const nonce of seen) expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
  });
});
