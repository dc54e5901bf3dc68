import { ROLES, type Role } from '../users/user.entity.js';

/** Where a provider's users get their roles: set here by admins, or from the provider's claims at each login. */
export const ROLE_SOURCES = ['platform', 'provider'] as const;
export type RoleSource = (typeof ROLE_SOURCES)[number];

/** Whether a first login may create its user (`jit`), or users must exist beforehand. */
export const PROVISIONING_MODES = ['preregistered', 'jit'] as const;
export type Provisioning = (typeof PROVISIONING_MODES)[number];

/** Grants `role` when the claim at `claim` (a name or a dotted path) equals `value` or is an array holding it. */
export interface RoleRule {
  claim: string;
  value: string;
  role: Role;
}

export interface RoleEvaluation {
  /** The roles the rules grant, in the platform's order, each once. */
  roles: Role[];
  /**
   * The token says the group list was too long to include (Entra ID's `_claim_names.groups`) while a
   * rule reads `groups`: the rules cannot be applied honestly, so nothing is granted.
   */
  overage: boolean;
}

/** Group names known to the platform itself (SCIM group memberships), counted as `groups` claims. */
export interface ExtraClaims {
  groups?: readonly string[];
}

export const MAX_ROLE_RULES = 100;
const MAX_CLAIM_LENGTH = 200;
const MAX_VALUE_LENGTH = 500;
const RULE_KEYS = new Set(['claim', 'value', 'role']);

/**
 * The roles a provider's rules grant for the claims of one login. `groups` rules also count the
 * platform's own group memberships of the user. Pure: the login flow, the role sync and LifeTime's
 * Preview all call this one function.
 */
export function rolesFromRules(rules: readonly RoleRule[], claims: Record<string, unknown>, extra: ExtraClaims = {}): RoleEvaluation {
  if (rules.some((rule) => rule.claim === 'groups') && signalsGroupOverage(claims)) return { roles: [], overage: true };
  const granted = new Set<Role>();
  for (const rule of rules) {
    const found = claimAt(claims, rule.claim);
    const values = rule.claim === 'groups' ? [...asList(found), ...(extra.groups ?? [])] : asList(found);
    if (values.some((value) => sameValue(value, rule.value))) granted.add(rule.role);
  }
  return { roles: ROLES.filter((role) => granted.has(role)), overage: false };
}

/**
 * The value at a claim name or dotted path. A name that itself holds dots (Auth0's namespaced
 * claims such as `https://example.com/roles`) is found as it is before it is read as a path.
 */
export function claimAt(source: unknown, path: string): unknown {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return undefined;
  const record = source as Record<string, unknown>;
  if (Object.hasOwn(record, path)) return record[path];
  for (let dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    if (Object.hasOwn(record, head)) {
      const found = claimAt(record[head], path.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Entra ID leaves `groups` out past 200 groups (150 in SAML) and names a source for them instead. */
export function signalsGroupOverage(claims: Record<string, unknown>): boolean {
  const names = claims._claim_names;
  return typeof names === 'object' && names !== null && Object.hasOwn(names, 'groups');
}

/**
 * Checks rules as an admin or an environment variable gives them; returns them normalised, or the
 * problems, each naming the rule by its position under `where`.
 */
export function checkRoleRules(raw: unknown, where = 'roleRules'): { rules: RoleRule[]; problems: string[] } {
  if (raw === undefined || raw === null) return { rules: [], problems: [] };
  if (!Array.isArray(raw)) return { rules: [], problems: [`${where} must be an array of {"claim", "value", "role"}`] };
  if (raw.length > MAX_ROLE_RULES) return { rules: [], problems: [`${where} may hold at most ${MAX_ROLE_RULES} rules`] };
  const problems: string[] = [];
  const rules: RoleRule[] = [];
  raw.forEach((entry: unknown, index) => {
    const at = `${where}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return void problems.push(`${at} must be an object {"claim", "value", "role"}`);
    const rule = entry as Record<string, unknown>;
    const unknown = Object.keys(rule).filter((key) => !RULE_KEYS.has(key));
    if (unknown.length > 0) return void problems.push(`${at} has unknown field(s) ${unknown.join(', ')}`);
    const claim = typeof rule.claim === 'string' ? rule.claim.trim() : '';
    if (!claim || claim.length > MAX_CLAIM_LENGTH || claim.startsWith('.') || claim.endsWith('.') || claim.includes('..')) {
      return void problems.push(`${at}.claim must be a claim name or a dotted path such as realm_access.roles`);
    }
    if (typeof rule.value !== 'string' || rule.value.length === 0 || rule.value.length > MAX_VALUE_LENGTH) {
      return void problems.push(`${at}.value must be a non-empty string of at most ${MAX_VALUE_LENGTH} characters`);
    }
    if (!ROLES.includes(rule.role as Role)) return void problems.push(`${at}.role must be ${ROLES.map((role) => `"${role}"`).join(' or ')}`);
    rules.push({ claim, value: rule.value, role: rule.role as Role });
  });
  return { rules: problems.length > 0 ? [] : rules, problems };
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Strings compare exactly; numbers and booleans as they are written (a claim `true` matches "true"). */
function sameValue(claim: unknown, value: string): boolean {
  if (typeof claim === 'string') return claim === value;
  if (typeof claim === 'number' || typeof claim === 'boolean') return String(claim) === value;
  return false;
}
