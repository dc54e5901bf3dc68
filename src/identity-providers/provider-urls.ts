/** The one place that builds the per-provider URLs registered at an identity provider. */
export function providerCallbackUrl(publicUrl: URL, providerId: string): string {
  return new URL(`/auth/callback/${encodeURIComponent(providerId)}`, publicUrl).toString();
}

export function providerBackchannelLogoutUrl(publicUrl: URL, providerId: string): string {
  return new URL(`/auth/backchannel-logout/${encodeURIComponent(providerId)}`, publicUrl).toString();
}

/** The id of the provider that OIDC_* configures. */
export const ENVIRONMENT_PROVIDER_ID = 'default';
