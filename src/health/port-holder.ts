import { get } from 'node:http';

/** Who answers on a port the service is about to listen on. */
export type PortHolder = { kind: 'free' } | { kind: 'this-service'; url: string } | { kind: 'other' };

/** Metadata only this service publishes (RFC 8414, with its device endpoint): enough to know itself. */
const METADATA_PATH = '/.well-known/oauth-authorization-server';

/**
 * Asks the port before anything else starts, so a second `npm start` says at once that the service
 * already runs instead of failing on the development provider's port or after a full start. A
 * refused connection means free; anything else that is not this service (or does not answer within
 * `timeoutMs`) holds the port.
 */
export function portHolder(port: number, timeoutMs = 1_500): Promise<PortHolder> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: METADATA_PATH, timeout: timeoutMs, headers: { accept: 'application/json' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > 16_384) response.destroy();
      });
      response.on('error', () => resolve({ kind: 'other' }));
      response.on('end', () => resolve(recognise(response.statusCode, body)));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? { kind: 'free' } : { kind: 'other' }));
  });
}

export function recognise(status: number | undefined, body: string): PortHolder {
  if (status !== 200) return { kind: 'other' };
  try {
    const metadata = JSON.parse(body) as Record<string, unknown>;
    if (typeof metadata.issuer === 'string' && metadata.device_authorization_endpoint === `${metadata.issuer}/oauth/device_authorization`) {
      return { kind: 'this-service', url: metadata.issuer };
    }
  } catch {
    // Not JSON: someone else's server.
  }
  return { kind: 'other' };
}

/** The one line start-up stops with when the port is taken. */
export function portTakenMessage(holder: Exclude<PortHolder, { kind: 'free' }>, port: number): string {
  if (holder.kind === 'this-service') {
    return `The identity front door is already running at ${holder.url} (port ${port}): use that one, or stop it first. To run another instance beside it, set PORT and DEV_IDP_PORT to free ports.`;
  }
  return `Port ${port} is already in use: stop what uses it or set PORT to a free port.`;
}
