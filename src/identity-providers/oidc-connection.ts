import type { ClientAuthMethod } from './client-auth.js';

/** The resolved connection of the environment's provider: OIDC_* from the environment, or the development provider's. */
export interface OidcConnection {
  issuer: string;
  clientId: string;
  clientSecret: string;
  clientAuth: ClientAuthMethod;
}
