import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { ActiveUsersService } from '../auth/session/active-users.service.js';
import type { IdentityProvider } from '../identity-providers/identity-provider.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { DomainException } from '../common/domain.exception.js';
import { ROLES, type Role, type User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { rolesFromRules, type RoleEvaluation, type RoleRule } from './role-rules.js';
import { NO_USER_GROUPS, USER_GROUPS, type UserGroups } from './user-groups.js';

export interface RolePreview extends RoleEvaluation {
  /** For each rule, in order, whether it matched. */
  matched: boolean[];
}

export type RoleSyncResult =
  | { synced: true; user: User; before: Role[]; after: Role[]; changed: boolean }
  /** Nothing changed: the provider does not own roles, nothing is known of its claims, or its token was incomplete. */
  | { synced: false; reason: 'platform_roles' | 'unknown_provider' | 'no_claims' | 'groups_overage' };

/**
 * Roles owned by a provider (`roleSource: "provider"`): its rules applied to a user's claims and
 * platform groups, written through the users table, whose every change the database announces
 * to all instances. The login flow calls it at each login; anything else that changes what the
 * rules read (a group membership, say) calls `syncRoles` with the claims of the last login.
 */
@Injectable()
export class RoleSyncService {
  private readonly logger = new Logger(RoleSyncService.name);
  private readonly groups: UserGroups;

  constructor(
    private readonly users: UsersService,
    private readonly registry: IdentityProviderRegistry,
    private readonly audit: AuditService,
    private readonly activeUsers: ActiveUsersService,
    @Optional() @Inject(USER_GROUPS) groups?: UserGroups,
  ) {
    this.groups = groups ?? NO_USER_GROUPS;
  }

  /** What the provider's rules grant for these claims (and the user's platform groups, once the user is known). */
  async evaluate(provider: IdentityProvider, claims: Record<string, unknown>, userId?: string): Promise<RoleEvaluation> {
    const groups = userId ? await this.groups.groupsOf(userId) : [];
    return rolesFromRules(provider.access.roleRules, claims, { groups });
  }

  /**
   * LifeTime's Preview: what draft rules grant for some claims (a pasted set, or the claims of the
   * admin's own last sign-in, with the admin's platform groups), rule by rule. Nothing is written.
   */
  async preview(rules: readonly RoleRule[], claims: Record<string, unknown>, userId?: string): Promise<RolePreview> {
    const groups = userId ? await this.groups.groupsOf(userId) : [];
    const evaluation = rolesFromRules(rules, claims, { groups });
    return { ...evaluation, matched: rules.map((rule) => rolesFromRules([rule], claims, { groups }).roles.length > 0) };
  }

  /** The claims the user last signed in with through this provider, else through any. */
  async ownClaims(userId: string, providerId: string): Promise<Record<string, unknown> | undefined> {
    return (await this.users.lastClaims(userId, providerId)) ?? (await this.users.lastClaims(userId));
  }

  /**
   * Applies the provider's rules again to a user, with `claims` or else those of the user's last
   * login through that provider. A user granted nothing loses every role (they are refused at
   * their next login).
   */
  async syncRoles(userId: string, providerId: string, claims?: Record<string, unknown>): Promise<RoleSyncResult> {
    const provider = this.registry.find(providerId);
    if (!provider) return { synced: false, reason: 'unknown_provider' };
    if (provider.access.roleSource !== 'provider') return { synced: false, reason: 'platform_roles' };
    const known = claims ?? (await this.users.lastClaims(userId, providerId));
    if (!known) return { synced: false, reason: 'no_claims' };
    const evaluation = await this.evaluate(provider, known, userId);
    if (evaluation.overage) return { synced: false, reason: 'groups_overage' };
    const user = await this.users.get(userId);
    const before = [...user.roles];
    const after = await this.apply(user, providerId, evaluation.roles);
    return { synced: true, user: after, before, after: after.roles, changed: !sameRoles(before, after.roles) };
  }

  /** The provider that owns the user's roles (an identity through a `roleSource: "provider"` provider), if any. */
  async rolesOwner(userId: string): Promise<IdentityProvider | undefined> {
    const identities = await this.users.identitiesOf(userId);
    return identities.map((identity) => this.registry.find(identity.providerId)).find((provider) => provider?.access.roleSource === 'provider');
  }

  /**
   * Sets the user's roles to exactly `roles` when they differ. Written through the users table,
   * whose trigger announces the change to every instance; this instance forgets the user at once,
   * and the call returns after every instance has heard, so the user's next request anywhere
   * carries the new roles.
   */
  async apply(user: User, providerId: string, roles: Role[]): Promise<User> {
    if (sameRoles(user.roles, roles)) return user;
    const before = [...user.roles];
    const updated = await this.users.update(user.id, { roles }).catch((error: unknown) => {
      // The environment keeps one active admin whatever a provider says: that role stays, the rest applies.
      if (!(error instanceof DomainException) || error.code !== 'last_admin') throw error;
      this.logger.warn(`user ${user.id} keeps the admin role ${providerId} took away: they are the last active admin`);
      return this.users.update(user.id, { roles: ROLES.filter((role) => role === 'admin' || roles.includes(role)) });
    });
    if (sameRoles(before, updated.roles)) return updated;
    await this.activeUsers.changed(user.id);
    this.logger.log(`roles of user ${user.id} set from ${providerId}: [${before.join(', ')}] -> [${updated.roles.join(', ')}]`);
    await this.audit.record({ type: 'user.roles_synced', userId: user.id, email: user.email, providerId, details: { before, after: updated.roles } });
    return updated;
  }
}

function sameRoles(a: readonly Role[], b: readonly Role[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role));
}
