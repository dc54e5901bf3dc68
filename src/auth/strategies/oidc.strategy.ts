import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import OpenIDConnectStrategy from 'passport-openidconnect';
import type { JWTPayload } from 'jose';
import { boundOAuth2Client } from '../../common/http-timeout.js';
import type { OidcIdentityProvider, OidcMetadata, OidcProviderSettings } from '../../identity-providers/oidc-identity-provider.js';
import { IdTokenRejectedError } from '../../identity-providers/oidc-identity-provider.js';
import type { LoginStateCookie } from './login-state.cookie.js';
import { OidcStateStore } from './oidc-state.store.js';

/** What a successful OIDC verification hands to the login service. */
export interface VerifiedOidcLogin {
  claims: Record<string, unknown>;
  idToken: string;
}

type TokenCallback = (error: unknown, accessToken?: string, refreshToken?: string, results?: Record<string, unknown>) => void;

/** The parts of the `oauth` package's OAuth2 client (passport-openidconnect's `_oauth2`) used here. */
interface OAuth2Client {
  getOAuthAccessToken(code: string, params: Record<string, string>, callback: TokenCallback): void;
  get(url: string, accessToken: string, callback: (error: unknown, body?: string, res?: unknown) => void): void;
  _request(method: string, url: string, headers: Record<string, string>, body: string, accessToken: null, callback: (error: unknown, data?: string) => void): void;
  _getAccessTokenUrl(): string;
}

export interface AuthorizationOptions {
  state: { returnTo: string; codeVerifier?: string; freshRequestedAt?: number };
  codeChallenge?: string;
  /** Sent as `login_hint` (passport-openidconnect's own option). */
  loginHint?: string;
  /** Sent as `prompt` by passport-openidconnect: `login` asks for the account again. */
  prompt?: 'login';
  /** `0` with `prompt: 'login'` after a revocation: the provider must authenticate the person again, and say when (`auth_time`). */
  maxAge?: 0;
}

/**
 * Builds the one Passport strategy of an OIDC provider, registered as `oidc:<providerId>`.
 * passport-openidconnect runs the code flow; around it this adds what it lacks: PKCE S256,
 * the ID token signature check with jose, and refusal of a userinfo `sub` that differs.
 */
export function createOidcStrategy(provider: OidcIdentityProvider, metadata: OidcMetadata, loginState: LoginStateCookie): OpenIDConnectStrategy {
  const settings = provider.settings;
  const store = new OidcStateStore(settings.id, loginState);

  class OidcStrategy extends PassportStrategy(OpenIDConnectStrategy, provider.strategyName, 10) {
    constructor() {
      super({
        issuer: settings.issuer,
        authorizationURL: metadata.authorization_endpoint,
        tokenURL: metadata.token_endpoint,
        userInfoURL: metadata.userinfo_endpoint ?? '',
        clientID: settings.clientId,
        // Never sent by the library: the token request below authenticates by the provider's method.
        clientSecret: settings.clientSecret,
        callbackURL: settings.callbackUrl,
        scope: settings.scopes.filter((scope) => scope !== 'openid'),
        passReqToCallback: true,
        nonce: true,
        store,
        skipUserProfile: !metadata.userinfo_endpoint,
      } as unknown as OpenIDConnectStrategy.StrategyOptions);
      const oauth2 = (this as unknown as { _oauth2: OAuth2Client })._oauth2;
      // Bounded first, measured around it: a call that times out is observed as failed, with its duration.
      boundOAuth2Client(oauth2, provider.httpTimeoutMs);
      // Outermost, so it sees the real http/https library: token and userinfo connect only to checked addresses.
      provider.http.guardOAuth2Client(oauth2);
      // Client authentication of the code exchange; its request goes through _executeRequest, so through the checked agents.
      authenticateTokenRequests(oauth2, provider);
      hardenOAuth2Client(oauth2, store, settings.observeCall);
    }

    override authorizationParams(options: Partial<AuthorizationOptions>): object {
      return {
        ...(options.codeChallenge ? { code_challenge: options.codeChallenge, code_challenge_method: 'S256' } : {}),
        // The number 0, not the library's own maxAge option: its auth_time check would then compare
        // against the request's time with second-rounded auth_time; the login flow checks instead.
        ...(options.maxAge === 0 ? { max_age: 0 } : {}),
      };
    }

    async validate(
      req: Request & { oidcNonce?: string },
      _issuer: string,
      userinfoProfile: { id?: string; _json?: Record<string, unknown> } | undefined,
      _idProfile: unknown,
      _context: unknown,
      idToken: string,
    ): Promise<VerifiedOidcLogin> {
      const verified: JWTPayload = await provider.verifyIdToken(idToken, req.oidcNonce);
      if (userinfoProfile && userinfoProfile.id !== verified.sub) {
        // OpenID Connect Core 5.3.2: a userinfo response for another subject must not be used.
        throw new IdTokenRejectedError('userinfo sub differs from the ID token sub');
      }
      return { claims: { ...(userinfoProfile?._json ?? {}), ...verified }, idToken };
    }
  }

  return new OidcStrategy() as unknown as OpenIDConnectStrategy;
}

/**
 * Client authentication of the code exchange, by the provider's method (client_secret_post,
 * client_secret_basic or private_key_jwt).
 *
 * DESIGN: passport-openidconnect stays the strategy, and it exchanges the code through the `oauth`
 * package's OAuth2 client (`strategy._oauth2`), whose `getOAuthAccessToken` can only put
 * `client_id` and `client_secret` into the body. That one method is replaced on this strategy's
 * client, not forked: the replacement builds the same form (the library's own `grant_type`,
 * `redirect_uri` and `code`, plus the PKCE verifier added by `hardenOAuth2Client`), lets the
 * provider add its authentication (`OidcIdentityProvider.tokenRequestAuth`: a Basic header, or a
 * freshly signed client assertion with `client_assertion_type`), and sends it through the client's
 * own `_request`, so the timeout bound of `boundOAuth2Client` and the library's error shapes
 * (`{statusCode, data}`, which the strategy turns into a TokenError) stay as they were. The answer
 * is parsed as the library parses it, and handed back in its callback shape.
 */
function authenticateTokenRequests(client: OAuth2Client, provider: OidcIdentityProvider): void {
  client.getOAuthAccessToken = (code, params, callback) => {
    const tokenUrl = client._getAccessTokenUrl();
    provider.tokenRequestAuth(tokenUrl).then(
      (auth) => {
        const codeField = params.grant_type === 'refresh_token' ? 'refresh_token' : 'code';
        const body = new URLSearchParams({ ...params, [codeField]: code, ...auth.params }).toString();
        client._request('POST', tokenUrl, { 'Content-Type': 'application/x-www-form-urlencoded', ...auth.headers }, body, null, (error, data) => {
          if (error) return callback(error);
          const results = parseTokenResponse(data ?? '');
          const refreshToken = results.refresh_token as string | undefined;
          delete results.refresh_token;
          callback(null, results.access_token as string | undefined, refreshToken, results);
        });
      },
      (error: unknown) => callback(error),
    );
  };
}

/** As the `oauth` package reads a token response: JSON, or (from older servers) a form-encoded body. */
function parseTokenResponse(data: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON: read as a form below
  }
  return Object.fromEntries(new URLSearchParams(data));
}

/**
 * The library's OAuth2 client is shared by every request of the strategy. Two wraps:
 * the token request carries the PKCE verifier of the code being exchanged, and a userinfo body
 * that is not JSON becomes an error (the library would otherwise throw in a callback and crash).
 */
function hardenOAuth2Client(client: OAuth2Client, store: OidcStateStore, observe: OidcProviderSettings['observeCall']): void {
  const exchange = client.getOAuthAccessToken.bind(client);
  client.getOAuthAccessToken = (code, params, callback) => {
    const verifier = store.takeCodeVerifier(code);
    const started = performance.now();
    exchange(code, verifier ? { ...params, code_verifier: verifier } : params, (error, ...rest) => {
      observe?.('token', (performance.now() - started) / 1000, !error);
      (callback as (...args: unknown[]) => void)(error, ...rest);
    });
  };
  const get = client.get.bind(client);
  client.get = (url, accessToken, callback) => {
    const started = performance.now();
    get(url, accessToken, (error, body, res) => {
      observe?.('userinfo', (performance.now() - started) / 1000, !error);
      if (!error && !isJsonObject(body)) return callback({ statusCode: 502, data: 'userinfo response is not a JSON object' });
      callback(error, body, res);
    });
  };
}

function isJsonObject(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}
