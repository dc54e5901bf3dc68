/** What every kind of identity provider offers the rest of the service. OIDC is the first kind. */
export type ProviderStatus = { ready: true } | { ready: false; reason: string };

export interface IdentityProvider {
  readonly id: string;
  readonly kind: 'oidc';
  readonly displayName: string;
  /** The Passport strategy name, `oidc:<id>`. */
  readonly strategyName: string;
  /** Loads what the provider needs (discovery, keys); safe to call often. */
  status(): Promise<ProviderStatus>;
  /** Where to send the browser after the local session ended, or undefined for the local page. */
  logoutUrl(options: { idTokenHint?: string; postLogoutRedirectUri: string }): string | undefined;
}
