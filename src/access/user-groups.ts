/**
 * The groups a user belongs to in the platform itself (SCIM group memberships), which `groups`
 * role rules count beside the token's claim. A global module that exports this token supplies
 * them; without one, users belong to no platform group.
 */
export const USER_GROUPS = Symbol('USER_GROUPS');

export interface UserGroups {
  /** Display names of the user's groups. */
  groupsOf(userId: string): Promise<string[]>;
}

export const NO_USER_GROUPS: UserGroups = { groupsOf: () => Promise.resolve([]) };
