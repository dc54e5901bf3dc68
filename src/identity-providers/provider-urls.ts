/** The one place that builds the per-provider URLs registered at an identity provider. */
export function providerCallbackUrl(publicUrl: URL, providerId: string): string {
  return new URL(`/auth/callback/${encodeURIComponent(providerId)}`, publicUrl).toString();
}

export function providerBackchannelLogoutUrl(publicUrl: URL, providerId: string): string {
  return new URL(`/auth/backchannel-logout/${encodeURIComponent(providerId)}`, publicUrl).toString();
}

/** The id of the provider that OIDC_* configures. */
export const ENVIRONMENT_PROVIDER_ID = 'default';

/** Where providers that fetch a JWKS find this service's client assertion keys (private_key_jwt). */
export const CLIENT_JWKS_PATH = '/auth/client-jwks.json';

export function clientJwksUrl(publicUrl: URL): string {
  return new URL(CLIENT_JWKS_PATH, publicUrl).toString();
}
