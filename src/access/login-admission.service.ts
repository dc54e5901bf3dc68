import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { IdentityProvider } from '../identity-providers/identity-provider.js';
import type { Role, User } from '../users/user.entity.js';
import { mayLinkThrough, UsersService, type IdentityKey } from '../users/users.service.js';
import { checkMatchClaim, decideLink, type PendingLink } from './identity-linking.js';
import { canonical, keptClaims } from './kept-claims.js';
import { RoleSyncService } from './role-sync.service.js';

export type AdmissionRefusal =
  | 'not_registered'
  | 'inactive'
  | 'email_unverified'
  | 'domain_not_allowed'
  | 'subject_conflict'
  | 'provisioned_elsewhere'
  | 'no_role'
  | 'groups_overage';

export type Admission =
  | { ok: true; user: User; linked: boolean; provisioned: boolean }
  | { ok: false; reason: AdmissionRefusal }
  /** The user signs in through other providers; one of them must confirm it is the same person. */
  | { ok: false; reason: 'link_confirmation_required'; user: User; throughProviderIds: string[] };

/**
 * Who a verified login becomes (CONTRACT.md, "Who a login is"): a linked identity first; else the
 * match claim under the trust rules (src/access/identity-linking.ts), or a user created at first
 * login; and, where the provider owns roles, exactly the roles its rules grant. Nothing is written
 * for a refused login.
 */
@Injectable()
export class LoginAdmission {
  private readonly logger = new Logger(LoginAdmission.name);

  constructor(
    private readonly users: UsersService,
    private readonly roles: RoleSyncService,
    private readonly audit: AuditService,
  ) {}

  async admit(provider: IdentityProvider, claims: Record<string, unknown>): Promise<Admission> {
    const key: IdentityKey = { providerId: provider.id, issuer: String(claims.iss), subject: String(claims.sub) };
    const kept = keptClaims(claims, provider);
    const linked = await this.users.findIdentity(key);
    if (linked) {
      if (!linked.user.active) return { ok: false, reason: 'inactive' };
      const granted = await this.granted(provider, claims, linked.user.id);
      if (!granted.ok) return granted;
      // PostgreSQL's jsonb orders keys its own way: compared canonically, an unchanged set writes nothing.
      if (canonical(linked.claims) !== canonical(kept)) await this.users.rememberClaims(linked.id, kept);
      return { ok: true, user: await this.withRoles(linked.user, provider, granted.roles), linked: false, provisioned: false };
    }

    const match = checkMatchClaim({ matchClaim: provider.matchClaim, trustEmail: provider.access.trustEmail, emailDomains: provider.emailDomains }, claims);
    if (!match.ok) return { ok: false, reason: match.reason };
    const user = await this.users.findByEmail(match.value);
    if (!user) return provider.access.provisioning === 'jit' ? this.provision(provider, key, claims, kept, match.value) : { ok: false, reason: 'not_registered' };
    if (!user.active) return { ok: false, reason: 'inactive' };
    // A user a directory created (SCIM) links at first login through that directory's provider only.
    if (!mayLinkThrough(user, provider.id)) return { ok: false, reason: 'provisioned_elsewhere' };

    const decision = decideLink(key, await this.users.identitiesOf(user.id));
    if (decision.kind === 'refuse') return { ok: false, reason: decision.reason };
    if (decision.kind === 'confirm') return { ok: false, reason: 'link_confirmation_required', user, throughProviderIds: decision.throughProviderIds };
    const granted = await this.granted(provider, claims, user.id);
    if (!granted.ok) return granted;
    const result = await this.users.linkIdentity(user.id, key, kept);
    if (result === 'taken') return { ok: false, reason: 'subject_conflict' };
    if (result === 'linked') await this.recordLinked(user, provider.id, 'match_claim');
    return { ok: true, user: await this.withRoles(user, provider, granted.roles), linked: result === 'linked', provisioned: false };
  }

  /**
   * The confirm-by-signing-in step: `user` just signed in through the provider the page named, so
   * the identity waiting in the browser's login state is theirs to link.
   */
  async confirmLink(pending: PendingLink, user: User): Promise<boolean> {
    // Its claims are kept from its first own sign-in on; none are known yet.
    const result = await this.users.linkIdentity(user.id, pending, null);
    if (result !== 'linked') {
      this.logger.warn(`pending link of ${pending.providerId} to user ${user.id} not made (${result})`);
      return false;
    }
    await this.recordLinked(user, pending.providerId, 'confirmation', pending.throughProviderId);
    return true;
  }

  /** A first login creates its user (`provisioning: "jit"`) only with at least one role from the rules. */
  private async provision(provider: IdentityProvider, key: IdentityKey, claims: Record<string, unknown>, kept: Record<string, unknown>, email: string): Promise<Admission> {
    const granted = await this.granted(provider, claims);
    if (!granted.ok) return granted;
    const displayName = typeof claims.name === 'string' ? claims.name : undefined;
    const user = await this.users.createLinked({ email, displayName, roles: granted.roles ?? [] }, key, kept);
    // Not an email, or created meanwhile by someone else: no user of this login's own.
    if (!user) return { ok: false, reason: 'not_registered' };
    this.logger.log(`user ${user.id} created at first login through ${provider.id}`);
    await this.audit.record({ type: 'user.provisioned', userId: user.id, email: user.email, providerId: provider.id, details: { roles: user.roles } });
    return { ok: true, user, linked: true, provisioned: true };
  }

  /** The roles the provider's rules grant, or a refusal; `roles` undefined where roles are the platform's. */
  private async granted(provider: IdentityProvider, claims: Record<string, unknown>, userId?: string): Promise<{ ok: true; roles?: Role[] } | { ok: false; reason: 'no_role' | 'groups_overage' }> {
    if (provider.access.roleSource !== 'provider') return { ok: true };
    const evaluation = await this.roles.evaluate(provider, claims, userId);
    if (evaluation.overage) return { ok: false, reason: 'groups_overage' };
    if (evaluation.roles.length === 0) return { ok: false, reason: 'no_role' };
    return { ok: true, roles: evaluation.roles };
  }

  private withRoles(user: User, provider: IdentityProvider, roles: Role[] | undefined): Promise<User> {
    return roles ? this.roles.apply(user, provider.id, roles) : Promise.resolve(user);
  }

  private async recordLinked(user: User, providerId: string, via: 'match_claim' | 'confirmation', confirmedThrough?: string): Promise<void> {
    await this.audit.record({ type: 'identity.linked', userId: user.id, email: user.email, providerId, details: { via, ...(confirmedThrough ? { confirmedThrough } : {}) } });
  }
}
