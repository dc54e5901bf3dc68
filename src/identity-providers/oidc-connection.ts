/** The resolved identity provider connection: OIDC_* from the environment, or the development provider's. */
export const OIDC_CONNECTION = Symbol('OIDC_CONNECTION');

export interface OidcConnection {
  issuer: string;
  clientId: string;
  clientSecret: string;
}
