import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { portHolder, portTakenMessage, recognise } from './port-holder.js';

const METADATA = {
  issuer: 'http://localhost:3000',
  device_authorization_endpoint: 'http://localhost:3000/oauth/device_authorization',
  token_endpoint: 'http://localhost:3000/oauth/token',
};

describe('who holds the port', () => {
  it.each([
    ['this service', 200, JSON.stringify(METADATA), { kind: 'this-service', url: 'http://localhost:3000' }],
    ['another authorization server', 200, JSON.stringify({ ...METADATA, device_authorization_endpoint: 'http://localhost:3000/device/code' }), { kind: 'other' }],
    ['a server without this metadata', 404, 'Cannot GET', { kind: 'other' }],
    ['a server answering something else', 200, '<html>', { kind: 'other' }],
    ['metadata without an issuer', 200, JSON.stringify({ device_authorization_endpoint: 'undefined/oauth/device_authorization' }), { kind: 'other' }],
  ])('recognises %s', (_name, status, body, holder) => {
    expect(recognise(status, body)).toEqual(holder);
  });

  it.each([
    [{ kind: 'this-service', url: 'http://localhost:3000' } as const, 3000, 'The identity front door is already running at http://localhost:3000 (port 3000): use that one, or stop it first. To run another instance beside it, set PORT and DEV_IDP_PORT to free ports.'],
    [{ kind: 'other' } as const, 8080, 'Port 8080 is already in use: stop what uses it or set PORT to a free port.'],
  ])('says so in one line', (holder, port, line) => {
    expect(portTakenMessage(holder, port)).toBe(line);
  });

  describe('over HTTP', () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
      server = createServer(handler);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
      return (server.address() as { port: number }).port;
    }

    it('finds a closed port free', async () => {
      const port = await listen(() => undefined);
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
      expect(await portHolder(port)).toEqual({ kind: 'free' });
    });

    it('finds this service by its metadata, and a server that never answers to be someone else', async () => {
      const port = await listen((req, res) => {
        if (req.url === '/.well-known/oauth-authorization-server') res.setHeader('content-type', 'application/json').end(JSON.stringify(METADATA));
      });
      expect(await portHolder(port)).toEqual({ kind: 'this-service', url: 'http://localhost:3000' });
      server!.removeAllListeners('request');
      server!.on('request', () => undefined);
      expect(await portHolder(port, 200)).toEqual({ kind: 'other' });
    });
  });
});
