import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainException } from '../common/domain.exception.js';
import { html } from '../common/html.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { signInFreshness } from './sign-in-freshness.js';
import type { LoginAppState } from './strategies/oidc-state.store.js';

/** The sign-in must start again, asking the provider for a fresh authentication: the browser goes to `url`. */
export class FreshSignInRequired extends Error {
  constructor(readonly url: string) {
    super('A fresh authentication at the identity provider is required');
  }
}

/**
 * Who signed in last in this browser, and when (`<user id>.<unix seconds>`, path /auth): at the next
 * login start, a revocation since then already asks the provider afresh, saving the round trip.
 * Only a hint: the callback's check decides, whatever the cookie says.
 */
export const LAST_SIGN_IN_COOKIE = 'frontdoor.signin';
const LAST_SIGN_IN = /^([0-9a-f-]{36})\.(\d{1,12})$/;

/** Where a login that must ask the provider for a fresh authentication starts again. */
export function freshLoginUrl(providerId: string, returnTo: string): string {
  return `/auth/login/${encodeURIComponent(providerId)}?prompt=login&max_age=0&returnTo=${encodeURIComponent(returnTo)}`;
}

/**
 * Revoke means signed out: after an admin ended a user's sessions (or deactivated the user), a
 * callback that reports an authentication older than that is not turned into a session. It is sent
 * round once with `prompt=login&max_age=0`; a provider that still answers with the old
 * authentication gets a readable refusal instead of a loop.
 */
@Injectable()
export class FreshSignIn {
  private readonly logger = new Logger(FreshSignIn.name);

  constructor(
    private readonly audit: AuditService,
    private readonly users: UsersService,
  ) {}

  /** The value of LAST_SIGN_IN_COOKIE after this user signed in now. */
  lastSignInCookie(user: User): string {
    return `${user.id}.${Math.floor(Date.now() / 1000)}`;
  }

  /** Whether the user who signed in last in this browser had their sessions revoked since: the login then asks afresh at once. */
  async revokedSinceLastSignIn(cookie: string | undefined): Promise<boolean> {
    const match = cookie ? LAST_SIGN_IN.exec(cookie) : null;
    if (!match) return false;
    // An edited cookie that is no UUID makes the query fail: a hint that cannot be read is no hint.
    const user = await this.users.findById(match[1]).catch(() => null);
    return Boolean(user?.sessionsRevokedAt && user.sessionsRevokedAt.getTime() >= Number(match[2]) * 1000);
  }

  /** Returns when the sign-in may stand; throws FreshSignInRequired or a DomainException otherwise. */
  async check(input: { providerId: string; user: User; claims: Record<string, unknown>; state?: LoginAppState; returnTo: string }): Promise<void> {
    const { user, claims } = input;
    const verdict = signInFreshness({ revokedAt: user.sessionsRevokedAt, authTime: claims.auth_time, askedAgain: Boolean(input.state?.freshRequestedAt) });
    if (verdict === 'accept') return;
    const revokedAt = user.sessionsRevokedAt!.toISOString();
    const authTime = typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000).toISOString() : 'not given';
    if (verdict === 'accept-undated') {
      this.logger.warn(`user ${user.id}: identity provider ${input.providerId} sent no auth_time although max_age=0 was asked; prompt=login accepted as the fresh sign-in`);
      return;
    }
    if (verdict === 'ask-again') {
      this.logger.log(`user ${user.id}: authentication at ${input.providerId} (${authTime}) predates the revocation of ${revokedAt}; asking the provider again`);
      await this.audit.record({ type: 'login.refused', reason: 'reauthentication_required', userId: user.id, email: user.email, providerId: input.providerId, details: { revokedAt, authTime } });
      throw new FreshSignInRequired(freshLoginUrl(input.providerId, input.returnTo));
    }
    throw new DomainException('reauthentication_failed', HttpStatus.FORBIDDEN, 'Your sessions in this environment were ended by an administrator, and the identity provider signed you in with your earlier sign-in instead of asking you again.', {
      title: 'Sign in again at your identity provider',
      detail: 'Sign out at the identity provider (or close every browser window), then sign in here again. If this keeps happening, tell the platform team: the provider ignores requests to sign in again (prompt=login).',
      logDetail: `auth_time ${authTime} still predates the revocation of ${revokedAt} after prompt=login&max_age=0`,
      actions: html`<p><a class="button" href="${freshLoginUrl(input.providerId, input.returnTo)}">Try again</a></p>`,
    });
  }
}
