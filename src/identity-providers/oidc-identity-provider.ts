import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AddressPolicy } from '../common/address-policy.js';
import { asProviderCallError, DEFAULT_OUTGOING_TIMEOUT_MS } from '../common/http-timeout.js';
import type { IdentityProvider, JwtCheck, LogoutTokenClaims, ProviderCallEndpoint, ProviderSource, ProviderStatus } from './identity-provider.js';
import type { ProviderAccess } from '../access/provider-access.js';
import type { MatchClaim } from './identity-provider.entity.js';
import { tokenRequestAuth, type ClientAssertionSigner, type ClientAuthMethod, type TokenRequestAuth } from './client-auth.js';
import { addressRefusalOf, CrossOriginRedirectError, ProviderHttp } from './provider-http.js';

export interface OidcProviderSettings {
  id: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  clientAuth: ClientAuthMethod;
  /** Signs private_key_jwt client assertions; set by the registry for every provider it builds. */
  assertionSigner?: ClientAssertionSigner;
  scopes: string[];
  matchClaim: MatchClaim;
  emailDomains: string[];
  /** Who this provider lets in and with which roles (trust, role rules, provisioning). */
  access: ProviderAccess;
  source: ProviderSource;
  version: number;
  callbackUrl: string;
  /** How long an unknown `kid` must wait before it may trigger another JWKS fetch. */
  jwksCooldownMs: number;
  /** Bound of every outgoing call to the provider (`OIDC_HTTP_TIMEOUT_MS`). */
  httpTimeoutMs?: number;
  /** Told how long each call to the provider took (metrics); `endpoint` is a fixed name. */
  observeCall?: (endpoint: ProviderCallEndpoint, seconds: number, ok: boolean) => void;
  /** The outgoing calls, with their address check; without it no private address is reachable. */
  http?: ProviderHttp;
}

/** The parts of the discovery document this relying party uses. */
export interface OidcMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  code_challenge_methods_supported?: string[];
}

/** Asymmetric algorithms only: `none` and HMAC (signed with the client secret) are never accepted. */
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 60;
const RETRY_AFTER_FAILURE_MS = 5_000;

export class IdTokenRejectedError extends Error {}

/** A JWT refused by `verifyJwt`; `code` is a stable reason (`bad_signature`, `bad_iss`, `expired`, …). */
export class JwtRejectedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A refused logout token; `code` is a stable reason for the audit trail and metrics. */
export class LogoutTokenRejectedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/**
 * Back-Channel Logout 1.0 §2.4 only recommends `logout+jwt`; Keycloak and Glewlwyd sign with `JWT`,
 * and a token may carry no typ. What keeps an ID token from passing as a logout token is not its typ
 * (ID tokens are `JWT` too) but the back-channel `events` member it lacks and the `nonce` it has.
 */
const LOGOUT_TOKEN_TYPES = ['logout+jwt', 'application/logout+jwt', 'jwt', 'application/jwt'];
/** A logout token older than this is refused (its jti is kept as long, so a replay is caught in between). */
const LOGOUT_TOKEN_MAX_AGE_SECONDS = 300;

export class ProviderUnavailableError extends Error {}

export class OidcIdentityProvider implements IdentityProvider {
  readonly kind = 'oidc' as const;
  private readonly logger: Logger;
  private metadata?: OidcMetadata;
  private jwks?: JWTVerifyGetKey;
  private failure?: { at: number; reason: string };
  private loading?: Promise<OidcMetadata>;

  constructor(readonly settings: OidcProviderSettings) {
    this.logger = new Logger(`OidcIdentityProvider:${settings.id}`);
  }

  get id(): string {
    return this.settings.id;
  }

  get displayName(): string {
    return this.settings.displayName;
  }

  get strategyName(): string {
    return `oidc:${this.settings.id}`;
  }

  get issuer(): string {
    return this.settings.issuer;
  }

  get source(): ProviderSource {
    return this.settings.source;
  }

  get version(): number {
    return this.settings.version;
  }

  get matchClaim(): MatchClaim {
    return this.settings.matchClaim;
  }

  get emailDomains(): readonly string[] {
    return this.settings.emailDomains;
  }

  get access(): ProviderAccess {
    return this.settings.access;
  }

  get callbackUrl(): string {
    return this.settings.callbackUrl;
  }

  async status(): Promise<ProviderStatus> {
    try {
      await this.discover();
      return { ready: true };
    } catch (error) {
      return { ready: false, reason: (error as Error).message };
    }
  }

  /**
   * The discovery document, fetched once and kept. After a failure, a new attempt is made at most
   * every few seconds so that an unreachable provider does not turn every request into a fetch.
   */
  async discover(): Promise<OidcMetadata> {
    if (this.metadata) return this.metadata;
    if (this.failure && Date.now() - this.failure.at < RETRY_AFTER_FAILURE_MS) throw new ProviderUnavailableError(this.failure.reason);
    this.loading ??= this.fetchMetadata().finally(() => (this.loading = undefined));
    return this.loading;
  }

  logoutUrl(options: { idTokenHint?: string; postLogoutRedirectUri: string }): string | undefined {
    const endpoint = this.metadata?.end_session_endpoint;
    if (!endpoint) return undefined;
    const url = new URL(endpoint);
    if (options.idTokenHint) url.searchParams.set('id_token_hint', options.idTokenHint);
    url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
    url.searchParams.set('client_id', this.settings.clientId);
    // RP-Initiated Logout 1.0 makes state optional, but some providers (Glewlwyd) send the browser
    // back to post_logout_redirect_uri only when it is present. The signed-out page needs nothing
    // from it, so it is random and never checked: it carries no meaning an attacker could forge.
    url.searchParams.set('state', randomBytes(16).toString('base64url'));
    return url.toString();
  }

  /** Every server-side call to this provider: discovery, JWKS, token, userinfo. */
  get http(): ProviderHttp {
    this.settings.http ??= new ProviderHttp(new AddressPolicy([]));
    return this.settings.http;
  }

  get httpTimeoutMs(): number {
    return this.settings.httpTimeoutMs ?? DEFAULT_OUTGOING_TIMEOUT_MS;
  }

  /**
   * The client authentication of one request to this provider's token endpoint, by its configured
   * method: every authenticated call (the code exchange included) takes it from here.
   */
  async tokenRequestAuth(tokenEndpoint: string): Promise<TokenRequestAuth> {
    const { clientAuth, clientId, clientSecret, assertionSigner } = this.settings;
    return tokenRequestAuth({ method: clientAuth, clientId, clientSecret, tokenEndpoint, signer: assertionSigner });
  }

  get supportsPkce(): boolean {
    return this.metadata?.code_challenge_methods_supported?.includes('S256') ?? false;
  }

  /**
   * Checks the ID token as OpenID Connect Core 3.1.3.7 asks: signature against the provider's
   * JWKS (`verifyJwt`), iss, aud, azp, exp, iat and nonce.
   */
  async verifyIdToken(idToken: string, expectedNonce: string | undefined): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      payload = await this.verifyJwt(idToken, { requiredClaims: ['sub', 'aud', 'exp', 'iat'] });
    } catch (error) {
      if (error instanceof JwtRejectedError) throw new IdTokenRejectedError(describeJoseError(error.cause));
      throw error;
    }
    const audiences = [payload.aud].flat();
    if (audiences.length > 1 && !payload.azp) throw new IdTokenRejectedError('ID token has several audiences and no azp');
    if (payload.azp !== undefined && payload.azp !== this.settings.clientId) throw new IdTokenRejectedError('ID token azp is not this client');
    if ((payload.iat as number) > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw new IdTokenRejectedError('ID token iat is in the future');
    if (!expectedNonce || payload.nonce !== expectedNonce) throw new IdTokenRejectedError('ID token nonce does not match the request');
    return payload;
  }

  /**
   * Verifies a JWT this provider signed against its JWKS: an accepted asymmetric algorithm, `iss`,
   * `aud` (this client unless told otherwise) and what `check` adds. An unknown `kid` makes jose
   * refetch the JWKS, at most once per cooldown, so a rotated key is accepted and a forged one is not.
   */
  async verifyJwt(token: string, check: JwtCheck = {}): Promise<JWTPayload> {
    const jwks = await this.keySet();
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: this.settings.issuer,
        audience: check.audience ?? this.settings.clientId,
        algorithms: ALGORITHMS,
        requiredClaims: ['iss', ...(check.requiredClaims ?? [])],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        ...(check.typ ? { typ: check.typ } : {}),
        ...(check.maxTokenAgeSeconds !== undefined ? { maxTokenAge: check.maxTokenAgeSeconds } : {}),
      });
      return payload;
    } catch (error) {
      // A JWKS that cannot be fetched is the provider's failure, not a forged token.
      if (isJwksFetchFailure(error)) throw asProviderCallError('jwks', error, this.httpTimeoutMs);
      throw joseRejection(error);
    }
  }

  /**
   * Checks a logout token as OpenID Connect Back-Channel Logout 1.0 §2.6 asks, with the same JWKS
   * and algorithms as ID tokens: `typ` (`logout+jwt` or `JWT`) when present, iss, aud, azp, iat
   * within a window, exp when present, the back-channel event, sid or sub, no nonce, and a jti
   * (whose single use the caller enforces, since that needs the database).
   */
  async verifyLogoutToken(logoutToken: string): Promise<LogoutTokenClaims> {
    let payload: JWTPayload;
    try {
      payload = await this.verifyJwt(logoutToken, { requiredClaims: ['aud', 'iat'] });
    } catch (error) {
      if (error instanceof JwtRejectedError) throw new LogoutTokenRejectedError(error.code, `logout token ${error.message}`);
      throw error;
    }
    // Not jose's typ option: that one also refuses a token without typ, which §2.4 allows. The header was verified above.
    const typ = decodeProtectedHeader(logoutToken).typ;
    if (!acceptedLogoutTokenTyp(typ)) throw new LogoutTokenRejectedError('bad_typ', `logout token typ "${String(typ)}" is neither logout+jwt nor JWT`);
    const audiences = [payload.aud].flat();
    if (audiences.length > 1 && !payload.azp) throw new LogoutTokenRejectedError('bad_azp', 'logout token has several audiences and no azp');
    if (payload.azp !== undefined && payload.azp !== this.settings.clientId) throw new LogoutTokenRejectedError('bad_azp', 'logout token azp is not this client');
    const now = Date.now() / 1000;
    const iat = payload.iat as number;
    if (iat > now + CLOCK_TOLERANCE_SECONDS) throw new LogoutTokenRejectedError('bad_iat', 'logout token iat is in the future');
    if (iat < now - LOGOUT_TOKEN_MAX_AGE_SECONDS - CLOCK_TOLERANCE_SECONDS) throw new LogoutTokenRejectedError('stale_iat', 'logout token was issued too long ago');
    const events = payload.events;
    const event = typeof events === 'object' && events !== null ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] : undefined;
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new LogoutTokenRejectedError('bad_events', 'logout token has no back-channel logout event');
    }
    const sid = nonEmptyString(payload.sid);
    const sub = nonEmptyString(payload.sub);
    if (!sid && !sub) throw new LogoutTokenRejectedError('no_sid_or_sub', 'logout token names neither sid nor sub');
    if ('nonce' in payload) throw new LogoutTokenRejectedError('nonce_present', 'logout token carries a nonce');
    const jti = nonEmptyString(payload.jti);
    if (!jti || jti.length > 255) throw new LogoutTokenRejectedError('bad_jti', 'logout token has no usable jti');
    const oldestFresh = Math.max(iat + LOGOUT_TOKEN_MAX_AGE_SECONDS, typeof payload.exp === 'number' ? payload.exp : 0);
    return { sid, sub, jti, freshUntil: new Date((oldestFresh + CLOCK_TOLERANCE_SECONDS) * 1000) };
  }

  /**
   * The provider's JWKS; an unknown `kid` refetches at most once per cooldown. jose bounds each
   * fetch by `OIDC_HTTP_TIMEOUT_MS` (its abort signal reaches our fetch), and we measure it.
   */
  private async keySet(): Promise<JWTVerifyGetKey> {
    const metadata = await this.discover();
    this.jwks ??= createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cooldownDuration: this.settings.jwksCooldownMs,
      timeoutDuration: this.httpTimeoutMs,
      [customFetch]: (url, options) => this.timed('jwks', () => this.http.fetch(url, options as Parameters<ProviderHttp['fetch']>[1])),
    });
    return this.jwks;
  }

  private async timed<T>(endpoint: ProviderCallEndpoint, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } finally {
      this.settings.observeCall?.(endpoint, (performance.now() - started) / 1000, ok);
    }
  }

  private async fetchMetadata(): Promise<OidcMetadata> {
    const url = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    try {
      // Redirects within the issuer's origin are followed; one to another origin is refused.
      const response = await this.timed('discovery', () =>
        this.http.fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.httpTimeoutMs) }, { redirects: 'same-origin' }).catch((error: unknown) => {
          throw error instanceof CrossOriginRedirectError || addressRefusalOf(error) ? error : asProviderCallError('discovery', error, this.httpTimeoutMs);
        }),
      );
      if (!response.ok) throw new ProviderUnavailableError(`discovery answered HTTP ${response.status}`);
      const metadata = validateMetadata(await response.json().catch(() => undefined), this.settings.issuer);
      this.metadata = metadata;
      this.failure = undefined;
      this.logger.log(`Discovery loaded from ${url}`);
      return metadata;
    } catch (error) {
      const refused = addressRefusalOf(error);
      const reason =
        error instanceof ProviderUnavailableError
          ? error.message
          : refused
            ? `address not allowed: ${refused.message}`
            : error instanceof CrossOriginRedirectError
              ? `discovery not followed: ${error.message}`
              : `provider unreachable: ${(error as Error).message}`;
      this.failure = { at: Date.now(), reason };
      this.logger.warn(`Discovery from ${url} failed: ${reason}`);
      throw new ProviderUnavailableError(reason);
    }
  }
}

function validateMetadata(document: unknown, configuredIssuer: string): OidcMetadata {
  if (typeof document !== 'object' || document === null) throw new ProviderUnavailableError('discovery document is not JSON');
  const metadata = document as Record<string, unknown>;
  // OpenID Connect Discovery 4.3: the issuer must be exactly the one configured, or nothing in it is trusted.
  if (metadata.issuer !== configuredIssuer) {
    throw new ProviderUnavailableError(`discovery issuer "${String(metadata.issuer)}" does not match the configured issuer "${configuredIssuer}"`);
  }
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (!isHttpUrl(metadata[field])) throw new ProviderUnavailableError(`discovery document has no valid ${field}`);
  }
  for (const field of ['userinfo_endpoint', 'end_session_endpoint'] as const) {
    if (metadata[field] !== undefined && !isHttpUrl(metadata[field])) throw new ProviderUnavailableError(`discovery document has an invalid ${field}`);
  }
  return metadata as unknown as OidcMetadata;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function acceptedLogoutTokenTyp(typ: unknown): boolean {
  return typ === undefined || (typeof typ === 'string' && LOGOUT_TOKEN_TYPES.includes(typ.toLowerCase()));
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** jose's refusal as a stable code; the original error stays as `cause` for messages of its own. */
function joseRejection(error: unknown): JwtRejectedError {
  const rejected = (code: string, message: string) => new JwtRejectedError(code, message, { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) return rejected(`bad_${error.claim}`, `claim ${error.claim} rejected: ${error.message}`);
  if (error instanceof joseErrors.JWTExpired) return rejected('expired', 'expired');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return rejected('bad_alg', 'algorithm not allowed');
  if (error instanceof joseErrors.JWKSNoMatchingKey) return rejected('bad_signature', 'signed by an unknown key');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return rejected('bad_signature', 'signature invalid');
  return rejected('malformed', `invalid: ${(error as Error).message}`);
}

function isJwksFetchFailure(error: unknown): boolean {
  if (error instanceof joseErrors.JWKSTimeout) return true;
  // jose passes fetch's own network errors through unchanged; its JOSE errors all carry a code.
  return error instanceof TypeError || (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(error.message));
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `ID token claim ${error.claim} rejected: ${error.message}`;
  if (error instanceof joseErrors.JWTExpired) return 'ID token expired';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'ID token algorithm not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'ID token signed by an unknown key';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'ID token signature invalid';
  return `ID token invalid: ${(error as Error).message}`;
}
