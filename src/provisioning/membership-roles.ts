import { Injectable, Logger } from '@nestjs/common';
import { RoleSyncService } from '../access/role-sync.service.js';
import type { UserGroups } from '../access/user-groups.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { ScimGroupsRepository } from './scim-groups.repository.js';

/**
 * Where SCIM group membership meets the provider's role rules: a rule whose claim is `groups`
 * counts the user's SCIM groups as well as the token's claim, so a change of membership sets the
 * roles of the users concerned at once (RoleSyncService writes them through the users table, and
 * their next request, on every instance, sees them). A provider that does not own roles, or has no
 * rule on `groups`, has nothing to re-evaluate.
 */
@Injectable()
export class MembershipRoles {
  private readonly logger = new Logger(MembershipRoles.name);

  constructor(
    private readonly registry: IdentityProviderRegistry,
    private readonly roles: RoleSyncService,
  ) {}

  async membershipChanged(providerId: string, userIds: string[]): Promise<void> {
    const provider = this.registry.find(providerId);
    if (provider?.access.roleSource !== 'provider' || !provider.access.roleRules.some((rule) => rule.claim === 'groups')) return;
    let changed = 0;
    // One at a time: a group of thousands must not take every database connection at once.
    for (const userId of userIds) {
      // With the claims of the user's last sign-in through this provider; a user who never signed in gets the rules then.
      const result = await this.roles.syncRoles(userId, providerId);
      if (result.synced && result.changed) changed += 1;
    }
    if (changed > 0) this.logger.log(`SCIM membership change at ${providerId}: roles of ${changed} of ${userIds.length} user(s) set again from its rules`);
  }
}

/** The SCIM groups a user is a member of, for role rules on `groups` (the access module's USER_GROUPS). */
@Injectable()
export class ScimUserGroups implements UserGroups {
  constructor(private readonly groups: ScimGroupsRepository) {}

  groupsOf(userId: string): Promise<string[]> {
    return this.groups.displayNamesOf(userId);
  }
}
