import type { JWTPayload } from 'jose';
import type { ProviderAccess } from '../access/provider-access.js';
import type { MatchClaim } from './identity-provider.entity.js';

/** What every kind of identity provider offers the rest of the service. OIDC is the first kind. */
export type ProviderStatus = { ready: true } | { ready: false; reason: string };

export type ProviderSource = 'environment' | 'database';

export interface JwtCheck {
  /** Expected `aud`; defaults to this service's client id at the provider. */
  audience?: string;
  /** Claims that must be present besides `iss`. */
  requiredClaims?: string[];
  /** The `typ` header the token must carry, e.g. `logout+jwt`. */
  typ?: string;
  /** Oldest acceptable `iat`, in seconds before now. */
  maxTokenAgeSeconds?: number;
}

/** The provider endpoints whose call latency is measured; fixed names, never URLs. */
export type ProviderCallEndpoint = 'discovery' | 'jwks' | 'token' | 'userinfo';

/** What a verified back-channel logout token names: the provider session, the subject, or both. */
export interface LogoutTokenClaims {
  sid?: string;
  sub?: string;
  jti: string;
  /** Until when this token could be presented as fresh; its jti is kept that long. */
  freshUntil: Date;
}

export interface IdentityProvider {
  readonly id: string;
  readonly kind: 'oidc';
  readonly displayName: string;
  readonly issuer: string;
  readonly source: ProviderSource;
  /** Raised by every change of a stored provider; 0 for the environment's. */
  readonly version: number;
  readonly matchClaim: MatchClaim;
  /** Domains whose users the chooser sends straight to this provider (home-realm discovery). */
  readonly emailDomains: readonly string[];
  /** Who a login through it may become, and with which roles (see src/access/). */
  readonly access: ProviderAccess;
  /** The redirect URI registered at the provider, `<PUBLIC_URL>/auth/callback/<id>`. */
  readonly callbackUrl: string;
  /** The Passport strategy name, `oidc:<id>`. */
  readonly strategyName: string;
  /** Whether the loaded discovery document offers PKCE S256. */
  readonly supportsPkce: boolean;
  /** Loads what the provider needs (discovery, keys); safe to call often. */
  status(): Promise<ProviderStatus>;
  /** Where to send the browser after the local session ended, or undefined for the local page. */
  logoutUrl(options: { idTokenHint?: string; postLogoutRedirectUri: string }): string | undefined;
  /**
   * Verifies a JWT this provider signed (ID token, logout token) against its JWKS, the same key set
   * the ID token check uses: signature with an accepted asymmetric algorithm, `iss`, `aud`.
   */
  verifyJwt(token: string, check?: JwtCheck): Promise<JWTPayload>;
  /**
   * Verifies an OpenID Connect Back-Channel Logout 1.0 logout token through `verifyJwt` plus the
   * rules of its §2.6; a refusal is a `LogoutTokenRejectedError` with a stable code. The jti's
   * single use is the caller's to enforce.
   */
  verifyLogoutToken(logoutToken: string): Promise<LogoutTokenClaims>;
}
