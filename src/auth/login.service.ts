import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { DomainException } from '../common/domain.exception.js';
import { s256 } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { IdentityProvider } from '../identity-providers/identity-provider.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { ProviderHealthService } from '../identity-providers/provider-health.service.js';
import type { User } from '../users/user.entity.js';
import { AdmissionGate } from './admission-gate.js';
import { FreshSignIn } from './fresh-sign-in.js';
import { LoginOutcomes } from './login-outcomes.js';
import { LoginRefusals, type PassportOutcome } from './login-refusals.js';
import { chooseProvider, type ChooserDecision } from './provider-chooser.js';
import { safeReturnTo } from './return-to.js';
import { SessionService } from './session/session.service.js';
import type { AuthorizationOptions, VerifiedOidcLogin } from './strategies/oidc.strategy.js';

/** Console sign-in: starts the provider's code flow and turns its callback into a session. */
@Injectable()
export class LoginService {
  private readonly logger = new Logger(LoginService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: IdentityProviderRegistry,
    private readonly health: ProviderHealthService,
    private readonly sessions: SessionService,
    private readonly refusals: LoginRefusals,
    private readonly outcomes: LoginOutcomes,
    private readonly gate: AdmissionGate,
    private readonly freshSignIn: FreshSignIn,
  ) {}

  /** The enabled providers, in the order the chooser shows them. */
  providers(): IdentityProvider[] {
    return this.registry.all();
  }

  /** Where `/auth/login` sends a browser: straight to one provider, or to the chooser. */
  decide(input: { email?: string; lastProviderId?: string; forceChooser?: boolean; unavailableIds?: ReadonlySet<string> }): ChooserDecision {
    return chooseProvider(this.registry.all(), input);
  }

  /**
   * Redirects the browser to the provider's authorization endpoint. `prompt: 'login'` makes the
   * provider ask for the account again even when it has a session (switching accounts); with
   * `maxAge: 0` as well, it must authenticate the person afresh (after a revocation).
   */
  async start(providerId: string, rawReturnTo: unknown, req: Request, res: Response, extra: { loginHint?: string; prompt?: 'login'; maxAge?: 0 } = {}): Promise<void> {
    const provider = this.registry.get(providerId);
    // With other providers enabled, the refusal leads back to the chooser.
    const chooser = this.registry.all().length > 1 ? this.returnTarget(rawReturnTo) : undefined;
    const strategy = await this.registry.strategy(provider).catch((error: unknown) => {
      throw this.refusals.withBreakGlassLink(error, chooser);
    });
    // The browser would otherwise be sent on to a provider that cannot answer it, and wait there.
    const answering = await this.health.answering(provider);
    if (!answering.ok) {
      throw this.refusals.withBreakGlassLink(new DomainException('provider_unavailable', HttpStatus.SERVICE_UNAVAILABLE, `The identity provider ${provider.displayName} is not answering right now.`, {
        title: 'Sign-in is unavailable',
        detail: 'Try again in a moment. If it keeps happening, tell the platform team.',
        logDetail: answering.reason,
      }), chooser);
    }
    const returnTo = this.returnTarget(rawReturnTo);
    const options: AuthorizationOptions = {
      state: { returnTo },
      ...(extra.loginHint ? { loginHint: extra.loginHint } : {}),
      ...(extra.prompt ? { prompt: extra.prompt } : {}),
    };
    if (extra.maxAge === 0) Object.assign(options, { prompt: 'login', maxAge: 0, state: { ...options.state, freshRequestedAt: Date.now() } });
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
  async finish(providerId: string, req: Request): Promise<{ returnTo: string; providerId: string; user: User }> {
    try {
      const { returnTo, user } = await this.complete(providerId, req);
      await this.outcomes.succeeded(providerId, user);
      return { returnTo, providerId, user };
    } catch (error) {
      await this.outcomes.failed(providerId, error);
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
    if (typeof req.query.code !== 'string' && typeof req.query.error !== 'string') throw this.refusals.fromProvider(provider, req, {});
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
      const refusal = this.refusals.fromProvider(provider, req, outcome);
      // Only a login that reached the provider with a valid state says where it was going.
      if (returnTo && refusal.status < 500) await this.outcomes.refusedOnTheWay({ returnTo: safeReturnTo(returnTo), reason: 'login_refused' });
      throw refusal;
    }

    const claims = outcome.login.claims;
    const admission = await this.gate.admit(req, provider, claims, safeReturnTo(returnTo));
    await this.freshSignIn.check({ providerId: provider.id, user: admission.user, claims, state: outcome.info?.state, returnTo: this.returnTarget(returnTo) });
    await this.sessions.establish(req, {
      user: admission.user,
      providerId: provider.id,
      idToken: outcome.login.idToken,
      providerSid: stringClaim(claims.sid),
    });
    this.logger.log(`req=${req.id} user ${admission.user.id} signed in through ${provider.id}${admission.linked ? ' (identity linked)' : ''}`);
    return { returnTo: this.returnTarget(returnTo), user: admission.user };
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
    if (userId) await this.outcomes.loggedOut(userId, ended?.providerId);
    if (!ended?.providerId) return '/auth/signed-out';
    const provider = this.registry.find(ended.providerId);
    if (provider) await provider.status();
    return provider?.logoutUrl({ idTokenHint: ended.idToken, postLogoutRedirectUri: signedOut }) ?? '/auth/signed-out';
  }

  private runCallback(strategy: passport.Strategy, req: Request): Promise<PassportOutcome> {
    return new Promise((resolve) => {
      const callback = (error: unknown, login: VerifiedOidcLogin | false, info: PassportOutcome['info']) =>
        resolve({ error: error ?? undefined, login: login || undefined, info });
      passport.authenticate(Object.create(strategy) as passport.Strategy, { session: false }, callback)(req, {} as Response, (error: unknown) => resolve({ error }));
    });
  }
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
