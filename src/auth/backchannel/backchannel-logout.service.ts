import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { DomainException } from '../../common/domain.exception.js';
import { ProviderCallError } from '../../common/http-timeout.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { MetricsService } from '../../observability/metrics.service.js';
import { UsersService } from '../../users/users.service.js';
import { DesktopTokenVerifier } from '../guards/desktop-token.guard.js';
import type { IdentityProvider } from '../../identity-providers/identity-provider.js';
import { IdentityProviderRegistry } from '../../identity-providers/identity-provider.registry.js';
import { LogoutTokenRejectedError, ProviderUnavailableError } from '../../identity-providers/oidc-identity-provider.js';
import { SessionService } from '../session/session.service.js';
import { LogoutTokenJtisRepository } from './logout-token-jtis.repository.js';

export interface BackchannelLogoutResult {
  /** Users whose sessions ended. */
  sessionsEnded: number;
  desktopTokensRevoked: number;
}

/**
 * OpenID Connect Back-Channel Logout 1.0: the provider tells us a session of its own ended. By
 * `sid`, that provider session's console sessions end; by `sub` alone, every session the linked
 * user has through that provider. Desktop tokens of those users end too unless configured to stay.
 * Every check happens before anything is ended, and a refused token ends nothing.
 */
@Injectable()
export class BackchannelLogoutService {
  private readonly logger = new Logger(BackchannelLogoutService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: IdentityProviderRegistry,
    private readonly sessions: SessionService,
    private readonly users: UsersService,
    private readonly jtis: LogoutTokenJtisRepository,
    private readonly desktopTokens: DesktopTokenVerifier,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  async logout(providerId: string, logoutToken: unknown): Promise<BackchannelLogoutResult> {
    let provider: IdentityProvider;
    try {
      provider = this.registry.get(providerId);
    } catch (error) {
      if (error instanceof DomainException && error.code === 'unknown_provider') return this.refuse(providerId, 'unknown_provider', `No enabled identity provider named "${providerId}"`);
      throw error;
    }
    if (typeof logoutToken !== 'string' || logoutToken.length === 0 || logoutToken.length > 16_384) {
      return this.refuse(providerId, 'missing_logout_token', 'The form field logout_token is missing');
    }
    let claims;
    try {
      claims = await provider.verifyLogoutToken(logoutToken);
    } catch (error) {
      if (error instanceof LogoutTokenRejectedError) return this.refuse(providerId, error.code, 'The logout token is not valid', error.message);
      // Its discovery document or signing keys did not come in time: nothing can be checked, so nothing ends.
      if (error instanceof ProviderUnavailableError || error instanceof ProviderCallError) {
        return this.refuse(providerId, 'provider_unavailable', 'The identity provider cannot be reached to check the logout token', error.message);
      }
      throw error;
    }
    if (!(await this.jtis.claim(providerId, claims.jti, claims.freshUntil))) {
      return this.refuse(providerId, 'jti_replayed', 'This logout token was already used');
    }

    // The user the token names by subject, if linked here: named even when no session of ours is left.
    const named = claims.sub ? await this.users.findByIdentity({ providerId, issuer: provider.issuer, subject: claims.sub }) : null;
    const ended = claims.sid
      ? await this.sessions.endByProviderSession(providerId, claims.sid)
      : named
        ? await this.sessions.endForUserAtProvider(named.id, providerId)
        : [];
    const userIds = [...new Set([...ended, ...(named ? [named.id] : [])])];
    const sessionsEnded = ended.length;
    let desktopTokensRevoked = 0;
    if (this.config.desktop.backchannelLogout === 'revoke') {
      for (const userId of userIds) desktopTokensRevoked += await this.desktopTokens.revokeAllForUser(userId);
    }
    this.metrics.backchannelLogouts.inc({ provider: providerId, outcome: 'success', reason: '' });
    for (const userId of userIds) {
      await this.audit.record({ type: 'logout.backchannel', userId, providerId, details: { by: claims.sid ? 'sid' : 'sub', desktopTokensRevoked } });
    }
    if (userIds.length === 0) await this.audit.record({ type: 'logout.backchannel', providerId, details: { by: claims.sid ? 'sid' : 'sub', matched: false } });
    this.logger.log(`back-channel logout from ${providerId} by ${claims.sid ? 'sid' : 'sub'}: ${userIds.length} user(s), ${desktopTokensRevoked} desktop token(s)`);
    return { sessionsEnded, desktopTokensRevoked };
  }

  private async refuse(providerId: string, reason: string, message: string, logDetail?: string): Promise<never> {
    this.metrics.backchannelLogouts.inc({ provider: providerId.slice(0, 40), outcome: 'failure', reason });
    await this.audit.record({ type: 'logout.backchannel', outcome: 'failure', reason, providerId: providerId.slice(0, 40) });
    throw new DomainException('invalid_request', HttpStatus.BAD_REQUEST, message, { logDetail: logDetail ?? reason });
  }
}
