import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainException } from '../common/domain.exception.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { MetricsService } from '../observability/metrics.service.js';
import type { User } from '../users/user.entity.js';
import { LoginEvents, type RefusedLogin } from './login-events.js';
import { LoginRefusals, refusalReason } from './login-refusals.js';

/**
 * What each console sign-in and sign-out leaves behind: one metric and one audit event with a
 * stable reason code, and word to the flows that wait on a login the browser was refused.
 */
@Injectable()
export class LoginOutcomes {
  constructor(
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly registry: IdentityProviderRegistry,
    private readonly refusals: LoginRefusals,
    private readonly events: LoginEvents,
  ) {}

  async succeeded(providerId: string, user: User): Promise<void> {
    this.metrics.logins.inc({ provider: providerId, outcome: 'success', reason: '' });
    await this.audit.record({ type: 'login.succeeded', userId: user.id, email: user.email, providerId });
  }

  /** A refusal, or a provider that failed the login; our own failures are not the login's outcome. */
  async failed(providerId: string, error: unknown): Promise<void> {
    if (!(error instanceof DomainException) || !(error.status < 500 || error.code === 'provider_unreachable' || error.code === 'provider_timeout')) return;
    const reason = refusalReason(error);
    const known = this.registry.find(providerId) !== undefined;
    this.metrics.logins.inc({ provider: known ? providerId : 'unknown', outcome: 'failure', reason });
    await this.audit.record({ type: 'login.refused', reason, providerId: known ? providerId : undefined, email: this.refusals.accountOf(error) });
  }

  /** Tells the flows waiting on this browser's login (a Studio handoff) that it was refused. */
  refusedOnTheWay(login: RefusedLogin): Promise<void> {
    return this.events.refused(login);
  }

  async loggedOut(userId: string, providerId: string | undefined): Promise<void> {
    await this.audit.record({ type: 'logout', userId, providerId });
  }
}
