import { checkRoleRules, PROVISIONING_MODES, ROLE_SOURCES, type Provisioning, type RoleRule, type RoleSource } from './role-rules.js';

/** Who a provider lets in, and with which roles: its settings beside the connection ones. */
export interface ProviderAccess {
  trustEmail: boolean;
  roleSource: RoleSource;
  roleRules: RoleRule[];
  provisioning: Provisioning;
}

export const DEFAULT_ACCESS: ProviderAccess = { trustEmail: false, roleSource: 'platform', roleRules: [], provisioning: 'preregistered' };

/** The names the problems use for each field: the API's, or the environment variables'. */
export interface AccessFieldNames {
  trustEmail: string;
  roleSource: string;
  roleRules: string;
  provisioning: string;
}

export const API_FIELD_NAMES: AccessFieldNames = { trustEmail: 'trustEmail', roleSource: 'roleSource', roleRules: 'roleRules', provisioning: 'provisioning' };

/**
 * Checks a provider's access settings; unset ones take the defaults. `jit` needs
 * `roleSource: "provider"`: a user created by a login has no roles but what the provider grants.
 */
export function checkProviderAccess(raw: Partial<Record<keyof ProviderAccess, unknown>>, names: AccessFieldNames = API_FIELD_NAMES): { access: ProviderAccess; problems: string[] } {
  const problems: string[] = [];
  const trustEmail = raw.trustEmail ?? DEFAULT_ACCESS.trustEmail;
  if (typeof trustEmail !== 'boolean') problems.push(`${names.trustEmail} must be true or false`);
  const roleSource = raw.roleSource ?? DEFAULT_ACCESS.roleSource;
  if (!ROLE_SOURCES.includes(roleSource as RoleSource)) problems.push(`${names.roleSource} must be "platform" or "provider"`);
  const provisioning = raw.provisioning ?? DEFAULT_ACCESS.provisioning;
  if (!PROVISIONING_MODES.includes(provisioning as Provisioning)) problems.push(`${names.provisioning} must be "preregistered" or "jit"`);
  const rules = checkRoleRules(raw.roleRules ?? [], names.roleRules);
  problems.push(...rules.problems);
  if (provisioning === 'jit' && roleSource !== 'provider') {
    problems.push(`${names.provisioning} "jit" needs ${names.roleSource} "provider": users created at their first login get the roles the provider's rules grant`);
  }
  return {
    access: { trustEmail: trustEmail === true, roleSource: roleSource as RoleSource, roleRules: rules.rules, provisioning: provisioning as Provisioning },
    problems,
  };
}
