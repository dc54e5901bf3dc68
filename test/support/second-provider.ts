import { startDevIdp, type DevIdp } from '../../src/dev-idp/dev-idp.js';

/** The client this service has at the second development provider. */
export const SECOND = { clientId: 'front-door-second', clientSecret: 'second-client-secret-0123456789' };

/**
 * A second development provider that knows this service (at `publicUrl`) as its client `second`.
 * It runs on 127.0.0.1, so in a browser its cookies never mix with the first provider's on localhost.
 */
export function startSecondProvider(publicUrl: string): Promise<DevIdp> {
  return startDevIdp({
    port: 0,
    issuerHost: '127.0.0.1',
    clients: [{ ...SECOND, redirectUris: [`${publicUrl}/auth/callback/second`], postLogoutRedirectUris: [`${publicUrl}/auth/signed-out`] }],
  });
}
