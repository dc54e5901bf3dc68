import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { confirmsPendingLink } from '../access/identity-linking.js';
import { LoginAdmission, type Admission } from '../access/login-admission.service.js';
import type { DomainException } from '../common/domain.exception.js';
import type { IdentityProvider } from '../identity-providers/identity-provider.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { LoginOutcomes } from './login-outcomes.js';
import { LoginRefusals } from './login-refusals.js';
import { LOGIN_STATE_MAX_AGE_MS, LoginStateCookie } from './strategies/login-state.cookie.js';

export type Admitted = Extract<Admission, { ok: true }>;

/**
 * Who a verified login is, at the door of the browser flow: the access rules' answer
 * (src/access/), the identity link the browser may be carrying from a confirmation page, and the
 * page a refusal shows.
 */
@Injectable()
export class AdmissionGate {
  constructor(
    private readonly admission: LoginAdmission,
    private readonly loginState: LoginStateCookie,
    private readonly registry: IdentityProviderRegistry,
    private readonly refusals: LoginRefusals,
    private readonly outcomes: LoginOutcomes,
  ) {}

  /** The user this login is, or a refusal (a DomainException with its page) to throw. */
  async admit(req: Request, provider: IdentityProvider, claims: Record<string, unknown>, returnTo: string): Promise<Admitted> {
    // Offered once: whatever this login turns out to be, the pending link is gone after it.
    const pending = this.loginState.takeLink(req);
    const admission = await this.admission.admit(provider, claims);
    if (!admission.ok) {
      // A login that waits for its confirmation goes on, from the page, to where it was going (a Studio handoff too).
      if (admission.reason !== 'link_confirmation_required') await this.outcomes.refusedOnTheWay({ returnTo, reason: 'not_registered' });
      throw this.refuse(req, provider, claims, admission, returnTo);
    }
    if (pending && confirmsPendingLink(pending, { userId: admission.user.id, providerId: provider.id, authTime: claims.auth_time }, Date.now(), LOGIN_STATE_MAX_AGE_MS)) {
      await this.admission.confirmLink(pending, admission.user);
    }
    return admission;
  }

  /** The page a refused login shows; a link waiting for confirmation is kept in the browser's login state. */
  private refuse(req: Request, provider: IdentityProvider, claims: Record<string, unknown>, admission: Exclude<Admission, { ok: true }>, returnTo: string): DomainException {
    const account = accountOf(claims);
    switch (admission.reason) {
      case 'link_confirmation_required': {
        const through = admission.throughProviderIds.map((id) => this.registry.find(id)).find((found) => found !== undefined);
        if (through) {
          this.loginState.offerLink(req, {
            userId: admission.user.id,
            providerId: provider.id,
            issuer: String(claims.iss),
            subject: String(claims.sub),
            throughProviderId: through.id,
            createdAt: Date.now(),
          });
        }
        return this.refusals.linkConfirmation(req, admission.user.email, provider, through, returnTo);
      }
      case 'no_role':
        return this.refusals.noRole(req, account, provider, returnTo);
      case 'groups_overage':
        return this.refusals.groupsOverage(req, account, provider, returnTo);
      default:
        return this.refusals.notRegistered(req, account, admission.reason, returnTo);
    }
  }
}

/** The account a refusal names: the email, else the username, else the subject. */
function accountOf(claims: Record<string, unknown>): string {
  for (const name of ['email', 'preferred_username']) {
    const value = claims[name];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return String(claims.sub);
}
