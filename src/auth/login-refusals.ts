import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { html } from '../common/html.js';
import { asProviderCallError, ProviderCallError, providerFailure } from '../common/http-timeout.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { IdentityProvider } from '../identity-providers/identity-provider.js';
import type { AdmissionRefusal } from '../access/login-admission.service.js';
import { CsrfService } from './csrf.service.js';
import type { VerifiedOidcLogin } from './strategies/oidc.strategy.js';
import type { LoginAppState } from './strategies/oidc-state.store.js';
import { anotherAccountLink, switchAccountForm } from './switch-account.js';

/** What passport-openidconnect's callback said about a provider's answer. */
export interface PassportOutcome {
  error?: unknown;
  login?: VerifiedOidcLogin;
  info?: { reason?: string; message?: string; state?: LoginAppState };
}

/**
 * The refusals a sign-in can end in, as the person sees them: each a DomainException with a
 * stable code, a sentence, and what to do next.
 */
@Injectable()
export class LoginRefusals {
  private readonly logger = new Logger(LoginRefusals.name);
  /** The account a "not registered" refusal named, for the audit event (the exception carries only the message). */
  private readonly accounts = new WeakMap<DomainException, string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly csrf: CsrfService,
  ) {}

  /** Why the provider's answer did not sign anybody in: the provider's error, a bad state, a failed call or a rejected token. */
  fromProvider(provider: IdentityProvider, req: Request, outcome: PassportOutcome): DomainException {
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

  /** A verified identity with no active user here: says so, and offers to sign in with another account. */
  notRegistered(req: Request, account: string, reason: Exclude<AdmissionRefusal, 'no_role' | 'groups_overage'>, returnTo: string): DomainException {
    return this.named(req, account, new DomainException('not_registered', HttpStatus.FORBIDDEN, `The account ${account} is not registered in this environment.`, {
      title: 'Not registered in this environment',
      detail: 'Ask a platform administrator to add you as a user of this environment, then sign in again, or sign in with another account.',
      logDetail: reason,
      // Without a stored session there is nothing local to end: straight to a login that asks again.
      actions: this.anotherAccount(req, returnTo),
    }));
  }

  /**
   * The confirm-by-signing-in page: the account already signs in through `through`, so linking
   * this provider's identity takes one sign-in there as the same person. The button starts that
   * login, asking the provider for the account again (`prompt=login`) with the account named.
   */
  linkConfirmation(req: Request, account: string, provider: IdentityProvider, through: IdentityProvider | undefined, returnTo: string): DomainException {
    const detail = through
      ? `To use ${provider.displayName} for this account from now on, confirm it is you by signing in once through ${through.displayName}. Only do so if you have just tried to sign in with ${provider.displayName} yourself.`
      : `None of the providers this account signs in through is enabled now. Ask a platform administrator to unlink the old sign-in from your user, then sign in through ${provider.displayName} again.`;
    const start = through && `/auth/login/${encodeURIComponent(through.id)}?prompt=login&login_hint=${encodeURIComponent(account)}&returnTo=${encodeURIComponent(returnTo)}`;
    return this.named(req, account, new DomainException('link_confirmation_required', HttpStatus.FORBIDDEN, `The account ${account} signs in to this environment through ${through?.displayName ?? 'another identity provider'}.`, {
      title: 'Confirm it is you',
      detail,
      logDetail: `signs in through ${through?.id ?? 'no enabled provider'}`,
      actions: start
        ? html`<p><a class="button" id="confirm-link" href="${start}">Sign in with ${through!.displayName}</a></p>
            <p class="muted">Not ${account}? ${this.anotherAccount(req, returnTo)}</p>`
        : this.anotherAccount(req, returnTo),
    }));
  }

  /** The provider owns roles here and grants this account none. */
  noRole(req: Request, account: string, provider: IdentityProvider, returnTo: string): DomainException {
    return this.named(req, account, new DomainException('no_role', HttpStatus.FORBIDDEN, `${provider.displayName} signed you in as ${account}, but gives this account no role in this environment.`, {
      title: 'No access to this environment',
      detail: `Roles here come from ${provider.displayName}. Ask your administrator at ${provider.displayName} for the group or role that gives access to this environment (as admin or developer), then sign in again.`,
      actions: this.anotherAccount(req, returnTo),
    }));
  }

  /** Entra ID left the groups out of the token (too many): the rules cannot be applied. */
  groupsOverage(req: Request, account: string, provider: IdentityProvider, returnTo: string): DomainException {
    return this.named(req, account, new DomainException('groups_overage', HttpStatus.FORBIDDEN, `${provider.displayName} sent no group list for ${account}: the account belongs to more groups than fit in a sign-in token.`, {
      title: 'Roles could not be read',
      detail: `Ask a platform administrator to map ${provider.displayName}'s app roles (the "roles" claim) to roles here instead of groups; app roles are always sent in full.`,
      actions: this.anotherAccount(req, returnTo),
    }));
  }

  private named(req: Request, account: string, refusal: DomainException): DomainException {
    this.logger.warn(`req=${req.id} login refused (${refusalReason(refusal)})`);
    this.accounts.set(refusal, account);
    return refusal;
  }

  private anotherAccount(req: Request, returnTo: string) {
    return req.session?.userId ? switchAccountForm(this.csrf.token(req), returnTo) : anotherAccountLink(returnTo);
  }

  /** The account a refusal named, when it named one. */
  accountOf(refusal: DomainException): string | undefined {
    return this.accounts.get(refusal);
  }

  /**
   * "Sign-in is unavailable" leads back to the chooser when there are other ways to sign in
   * (`chooserReturnTo`), and points admins to the break-glass page, where it is turned on.
   */
  withBreakGlassLink(error: unknown, chooserReturnTo?: string): unknown {
    if (!(error instanceof DomainException) || error.code !== 'provider_unavailable') return error;
    if (!this.config.breakGlass.enabled && chooserReturnTo === undefined) return error;
    return new DomainException(error.code, error.status, error.message, {
      ...error.options,
      actions: html`${chooserReturnTo !== undefined
        ? html`<p><a class="button" id="back-to-chooser" href="/auth/login?choose=1&amp;returnTo=${encodeURIComponent(chooserReturnTo)}">Choose another way to sign in</a></p>`
        : ''}${this.config.breakGlass.enabled
        ? html`<p class="muted">Platform administrators can still reach LifeTime to repair sign-in: <a href="/auth/break-glass">break-glass sign-in</a>.</p>`
        : ''}`,
    });
  }
}

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
