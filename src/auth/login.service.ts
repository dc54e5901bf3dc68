import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { AuditService } from '../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../observability/metrics.service.js';
import { DomainException } from '../common/domain.exception.js';
import { html } from '../common/html.js';
import { s256 } from '../common/secrets.js';
import { asProviderCallError, ProviderCallError, providerFailure } from '../common/http-timeout.js';
import type { User } from '../users/user.entity.js';
import { UsersService, type LoginResolution } from '../users/users.service.js';
import type { IdentityProvider } from '../identity-providers/identity-provider.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { ProviderHealthService } from '../identity-providers/provider-health.service.js';
import { LoginEvents } from './login-events.js';
import { chooseProvider, type ChooserDecision } from './provider-chooser.js';
import { CsrfService } from './csrf.service.js';
import { safeReturnTo } from './return-to.js';
import { SessionService } from './session/session.service.js';
import { anotherAccountLink, switchAccountForm } from './switch-account.js';
import type { AuthorizationOptions, VerifiedOidcLogin } from './strategies/oidc.strategy.js';
import type { LoginAppState } from './strategies/oidc-state.store.js';

interface PassportOutcome {
  error?: unknown;
  login?: VerifiedOidcLogin;
  info?: { reason?: string; message?: string; state?: LoginAppState };
}

/** Console sign-in: starts the provider's code flow and turns its callback into a session. */
@Injectable()
export class LoginService {
  private readonly logger = new Logger(LoginService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: IdentityProviderRegistry,
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly events: LoginEvents,
    private readonly csrf: CsrfService,
    private readonly health: ProviderHealthService,
  ) {}

  /** The enabled providers, in the order the chooser shows them. */
  providers(): IdentityProvider[] {
    return this.registry.all();
  }

  /** Where `/auth/login` sends a browser: straight to one provider, or to the chooser. */
  decide(input: { email?: string; lastProviderId?: string; forceChooser?: boolean }): ChooserDecision {
    return chooseProvider(this.registry.all(), input);
  }

  /**
   * Redirects the browser to the provider's authorization endpoint. `prompt: 'login'` makes the
   * provider ask for the account again even when it has a session (switching accounts).
   */
  async start(providerId: string, rawReturnTo: unknown, req: Request, res: Response, extra: { loginHint?: string; prompt?: 'login' } = {}): Promise<void> {
    const provider = this.registry.get(providerId);
    const strategy = await this.registry.strategy(provider).catch((error: unknown) => {
      throw this.withBreakGlassLink(error);
    });
    // The browser would otherwise be sent on to a provider that cannot answer it, and wait there.
    const answering = await this.health.answering(provider);
    if (!answering.ok) {
      throw this.withBreakGlassLink(new DomainException('provider_unavailable', HttpStatus.SERVICE_UNAVAILABLE, `The identity provider ${provider.displayName} is not answering right now.`, {
        title: 'Sign-in is unavailable',
        detail: 'Try again in a moment. If it keeps happening, tell the platform team.',
        logDetail: answering.reason,
      }));
    }
    const returnTo = this.returnTarget(rawReturnTo);
    const options: AuthorizationOptions = {
      state: { returnTo },
      ...(extra.loginHint ? { loginHint: extra.loginHint } : {}),
      ...(extra.prompt ? { prompt: extra.prompt } : {}),
    };
    if (provider.supportsPkce) {
      // RFC 7636: 32 random bytes give a 43-character verifier; only its S256 hash travels.
      const codeVerifier = randomBytes(32).toString('base64url');
      options.state.codeVerifier = codeVerifier;
      options.codeChallenge = s256(codeVerifier);
    }
    await new Promise<void>((resolve, reject) => {
      const next: NextFunction = (error?: unknown) => (error ? reject(error) : resolve());
      res.once('finish', () => resolve());
      // A per-request object over the provider's strategy: passport puts its action functions on it.
      passport.authenticate(Object.create(strategy) as passport.Strategy, { ...options, session: false } as unknown as passport.AuthenticateOptions)(req, res, next);
    });
  }

  /**
   * Handles the provider's redirect back: on success a fresh session, otherwise a readable refusal.
   * Either way one audit event and one metric say what happened, with a stable reason code.
   */
  async finish(providerId: string, req: Request): Promise<{ returnTo: string; providerId: string }> {
    try {
      const { returnTo, user } = await this.complete(providerId, req);
      this.metrics.logins.inc({ provider: providerId, outcome: 'success', reason: '' });
      await this.audit.record({ type: 'login.succeeded', userId: user.id, email: user.email, providerId });
      return { returnTo, providerId };
    } catch (error) {
      if (error instanceof DomainException && (error.status < 500 || error.code === 'provider_unreachable' || error.code === 'provider_timeout')) {
        const reason = refusalReason(error);
        const known = this.registry.find(providerId) !== undefined;
        this.metrics.logins.inc({ provider: known ? providerId : 'unknown', outcome: 'failure', reason });
        await this.audit.record({ type: 'login.refused', reason, providerId: known ? providerId : undefined, email: refusedAccount.get(error) });
      }
      throw error;
    }
  }

  /**
   * The provider is re-read from the table first: a secret rotated since the login began is used
   * at once, on every instance, even before the change notification arrives.
   */
  private async complete(providerId: string, req: Request): Promise<{ returnTo: string; user: User }> {
    const provider = await this.registry.refresh(providerId);
    const strategy = await this.registry.strategy(provider);
    // Without code or error the library would start a new authorization; this route only finishes one.
    if (typeof req.query.code !== 'string' && typeof req.query.error !== 'string') throw this.refusal(provider, req, {});
    // RFC 9207: a provider that names itself in the response must name the provider this login went to (mix-up defence).
    if (req.query.iss !== undefined && req.query.iss !== provider.issuer) {
      throw new DomainException('issuer_mismatch', HttpStatus.BAD_REQUEST, 'This sign-in response comes from another identity provider.', {
        title: 'Sign-in refused',
        logDetail: 'authorization response iss differs from the provider issuer',
      });
    }
    const outcome = await this.runCallback(strategy, req);
    const returnTo = outcome.info?.state?.returnTo;
    if (outcome.error !== undefined || !outcome.login) {
      const refusal = this.refusal(provider, req, outcome);
      // Only a login that reached the provider with a valid state says where it was going.
      if (returnTo && refusal.status < 500) await this.events.refused({ returnTo: safeReturnTo(returnTo), reason: 'login_refused' });
      throw refusal;
    }

    const claims = outcome.login.claims;
    const resolution = await this.users.resolveLogin({
      providerId: provider.id,
      issuer: String(claims.iss),
      subject: String(claims.sub),
      matchValue: stringClaim(claims[provider.matchClaim]),
      unverifiedEmail: provider.matchClaim === 'email' && (claims.email_verified === false || claims.email_verified === 'false'),
    });
    const account = stringClaim(claims.email) ?? stringClaim(claims.preferred_username) ?? String(claims.sub);
    if (!resolution.ok) {
      await this.events.refused({ returnTo: safeReturnTo(returnTo), reason: 'not_registered' });
      const refusal = this.notRegistered(req, account, resolution, safeReturnTo(returnTo));
      refusedAccount.set(refusal, account);
      throw refusal;
    }

    await this.sessions.establish(req, {
      user: resolution.user,
      providerId: provider.id,
      idToken: outcome.login.idToken,
      providerSid: stringClaim(claims.sid),
    });
    this.logger.log(`req=${req.id} user ${resolution.user.id} signed in through ${provider.id}${resolution.linked ? ' (identity linked)' : ''}`);
    return { returnTo: this.returnTarget(returnTo), user: resolution.user };
  }

  /** A local path, or a page of a protected app (forward auth): nowhere else may a login lead. */
  returnTarget(raw: unknown): string {
    return safeReturnTo(raw, '/', this.config.forwardAuth.protectedApps.map((app) => app.origin));
  }

  /** Ends the local session and says where the browser goes next. */
  async logout(req: Request, res: Response): Promise<string> {
    const signedOut = new URL('/auth/signed-out', this.config.publicUrl).toString();
    const userId = req.session?.userId;
    const ended = await this.sessions.end(req, res);
    if (userId) await this.audit.record({ type: 'logout', userId, providerId: ended?.providerId });
    if (!ended?.providerId) return '/auth/signed-out';
    const provider = this.registry.find(ended.providerId);
    if (provider) await provider.status();
    return provider?.logoutUrl({ idTokenHint: ended.idToken, postLogoutRedirectUri: signedOut }) ?? '/auth/signed-out';
  }

  /** "Sign-in is unavailable" points admins to the break-glass page, where it is turned on. */
  private withBreakGlassLink(error: unknown): unknown {
    if (!(error instanceof DomainException) || error.code !== 'provider_unavailable' || !this.config.breakGlass.enabled) return error;
    return new DomainException(error.code, error.status, error.message, {
      ...error.options,
      actions: html`<p class="muted">Platform administrators can still reach LifeTime to repair sign-in: <a href="/auth/break-glass">break-glass sign-in</a>.</p>`,
    });
  }

  private runCallback(strategy: passport.Strategy, req: Request): Promise<PassportOutcome> {
    return new Promise((resolve) => {
      const callback = (error: unknown, login: VerifiedOidcLogin | false, info: PassportOutcome['info']) =>
        resolve({ error: error ?? undefined, login: login || undefined, info });
      passport.authenticate(Object.create(strategy) as passport.Strategy, { session: false }, callback)(req, {} as Response, (error: unknown) => resolve({ error }));
    });
  }

  private refusal(provider: IdentityProvider, req: Request, outcome: PassportOutcome): DomainException {
    const providerError = typeof req.query.error === 'string' ? req.query.error : undefined;
    if (providerError) {
      const denied = providerError === 'access_denied';
      return new DomainException(denied ? 'access_denied' : 'provider_error', HttpStatus.FORBIDDEN, denied ? 'The sign-in was cancelled or denied at the identity provider.' : `The identity provider ${provider.displayName} could not sign you in (${providerError}).`, {
        title: 'Sign-in did not complete',
        detail: 'You can start again from the console you were opening.',
        logDetail: `provider error ${providerError}`,
      });
    }
    if (outcome.info?.reason === 'invalid-state' || !req.query.code) {
      return new DomainException('invalid_state', HttpStatus.BAD_REQUEST, 'This sign-in response does not belong to a sign-in started here, or was already used.', {
        title: 'Sign-in expired',
        detail: 'Open the console again to start a new sign-in.',
        logDetail: 'state missing, unknown or replayed',
      });
    }
    const error = outcome.error as { name?: string; code?: string; message?: string; oauthError?: unknown } | undefined;
    const failedCall = providerCallFailure(error, this.config.oidc.httpTimeoutMs);
    if (failedCall) return providerFailure(provider.displayName, failedCall);
    if (error && error.name === 'TokenError') {
      return new DomainException('token_error', HttpStatus.BAD_REQUEST, 'The identity provider refused to complete this sign-in. It may have been used already.', {
        title: 'Sign-in did not complete',
        detail: 'Open the console again to start a new sign-in.',
        logDetail: `token endpoint said ${error.code ?? 'error'}`,
      });
    }
    if (error && error.name === 'InternalOAuthError') {
      return new DomainException('provider_unreachable', HttpStatus.BAD_GATEWAY, `The identity provider ${provider.displayName} did not answer as expected.`, {
        title: 'Sign-in did not complete',
        logDetail: `${error.name}: ${error.message}`,
      });
    }
    return new DomainException('id_token_rejected', HttpStatus.FORBIDDEN, 'The answer from the identity provider could not be verified, so nobody was signed in.', {
      title: 'Sign-in refused',
      detail: 'Open the console again to start a new sign-in.',
      logDetail: error?.message ?? outcome.info?.message ?? 'rejected',
    });
  }

  private notRegistered(req: Request, account: string, resolution: Exclude<LoginResolution, { ok: true }>, returnTo: string): DomainException {
    this.logger.warn(`req=${req.id} login refused (${resolution.reason})`);
    return new DomainException('not_registered', HttpStatus.FORBIDDEN, `The account ${account} is not registered in this environment.`, {
      title: 'Not registered in this environment',
      detail: 'Ask a platform administrator to add you as a user of this environment, then sign in again, or sign in with another account.',
      logDetail: resolution.reason,
      // Without a stored session there is nothing local to end: straight to a login that asks again.
      actions: req.session?.userId ? switchAccountForm(this.csrf.token(req), returnTo) : anotherAccountLink(returnTo),
    });
  }
}

/** The account a "not registered" refusal named, for the audit event (the exception carries only the message). */
const refusedAccount = new WeakMap<DomainException, string>();

/**
 * The stable reason code of a refused login: the refusal's own code, made precise for the ones
 * that cover several causes (not registered, ID token rejected).
 */
export function refusalReason(error: DomainException): string {
  const detail = error.options.logDetail ?? '';
  if (error.code === 'not_registered') return detail.replace(/-/g, '_') || 'not_registered';
  if (error.code !== 'id_token_rejected') return error.code;
  const rules: [RegExp, string][] = [
    [/nonce/i, 'nonce_mismatch'],
    [/signature|unknown key|algorithm/i, 'bad_signature'],
    [/userinfo sub/i, 'userinfo_sub_mismatch'],
    // passport-openidconnect checks iss, aud and azp itself, before our own check, with these words.
    [/azp|several audiences|authori[sz]i?ed party|issued to this relying party/i, 'bad_azp'],
    [/claim iss|expected OpenID provider/i, 'bad_issuer'],
    [/claim aud|intended for this relying party/i, 'bad_audience'],
    [/expired|claim exp/i, 'token_expired'],
    [/iat/i, 'bad_iat'],
    [/claim sub|missing required "sub"/i, 'missing_sub'],
  ];
  return rules.find(([pattern]) => pattern.test(detail))?.[1] ?? 'id_token_rejected';
}

/**
 * A token or userinfo call that timed out or could not be made (the library wraps it in an
 * InternalOAuthError), or a JWKS that could not be fetched: the provider failed, not the login.
 */
function providerCallFailure(error: { name?: string; message?: string; oauthError?: unknown } | undefined, timeoutMs: number): ProviderCallError | undefined {
  if (error instanceof ProviderCallError) return error;
  if (error?.name !== 'InternalOAuthError') return undefined;
  const cause = error.oauthError as { statusCode?: number; code?: string } | undefined;
  if (cause instanceof ProviderCallError) return cause;
  // An answer with an HTTP status is the provider speaking; a network error code means no answer.
  if (cause && cause.statusCode === undefined && cause.code) {
    return asProviderCallError(error.message?.includes('profile') ? 'userinfo' : 'token', cause, timeoutMs);
  }
  return undefined;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
