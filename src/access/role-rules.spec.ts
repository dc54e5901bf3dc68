import { describe, expect, it } from 'vitest';
import { checkRoleRules, claimAt, rolesFromRules, type RoleRule } from './role-rules.js';

const KEYCLOAK: RoleRule[] = [
  { claim: 'realm_access.roles', value: 'platform-admin', role: 'admin' },
  { claim: 'realm_access.roles', value: 'platform-dev', role: 'developer' },
];
const ENTRA: RoleRule[] = [
  { claim: 'roles', value: 'Platform.Admin', role: 'admin' },
  { claim: 'groups', value: '5f0c1a7e-groups-devs', role: 'developer' },
];

describe('rolesFromRules', () => {
  it.each<[string, RoleRule[], Record<string, unknown>, string[]]>([
    ['no rules grant nothing', [], { groups: ['devs'] }, []],
    ['a dotted path into an array (Keycloak realm roles)', KEYCLOAK, { realm_access: { roles: ['platform-dev', 'offline_access'] } }, ['developer']],
    ['both roles, in the platform order', KEYCLOAK, { realm_access: { roles: ['platform-dev', 'platform-admin'] } }, ['admin', 'developer']],
    ['Entra app roles', ENTRA, { roles: ['Platform.Admin'] }, ['admin']],
    ['Entra group ids', ENTRA, { groups: ['5f0c1a7e-groups-devs'] }, ['developer']],
    ['a plain string claim equal to the value', [{ claim: 'department', value: 'IT', role: 'developer' }], { department: 'IT' }, ['developer']],
    ['a string is not a substring match', [{ claim: 'department', value: 'IT', role: 'developer' }], { department: 'ITSec' }, []],
    ['values compare case-sensitively', [{ claim: 'groups', value: 'Admins', role: 'admin' }], { groups: ['admins'] }, []],
    ['a boolean claim as written', [{ claim: 'is_staff', value: 'true', role: 'developer' }], { is_staff: true }, ['developer']],
    ['a number claim as written', [{ claim: 'level', value: '3', role: 'developer' }], { level: 3 }, ['developer']],
    ['an object never equals a value', [{ claim: 'realm_access', value: 'x', role: 'admin' }], { realm_access: { roles: ['x'] } }, []],
    ['a missing path grants nothing', KEYCLOAK, { resource_access: {} }, []],
    ['a path through a non-object grants nothing', KEYCLOAK, { realm_access: 'platform-admin' }, []],
    ['a namespaced claim name holding dots (Auth0)', [{ claim: 'https://corp.example/roles', value: 'admin', role: 'admin' }], { 'https://corp.example/roles': ['admin'] }, ['admin']],
    ['a dotted path under a namespaced claim', [{ claim: 'https://corp.example/app.roles', value: 'dev', role: 'developer' }], { 'https://corp.example/app': { roles: ['dev'] } }, ['developer']],
  ])('%s', (_case, rules, claims, roles) => {
    expect(rolesFromRules(rules, claims)).toEqual({ roles, overage: false });
  });

  it.each<[string, string[], Record<string, unknown>, string[]]>([
    ['platform groups count for a groups rule', ['devs'], {}, ['developer']],
    ['beside the token groups', ['devs'], { groups: ['ops'] }, ['admin', 'developer']],
    ['a token holding a single group as a string', [], { groups: 'devs' }, ['developer']],
  ])('%s', (_case, groups, claims, roles) => {
    const rules: RoleRule[] = [
      { claim: 'groups', value: 'devs', role: 'developer' },
      { claim: 'groups', value: 'ops', role: 'admin' },
    ];
    expect(rolesFromRules(rules, claims, { groups })).toEqual({ roles, overage: false });
  });

  it('platform groups do not count for other claims', () => {
    expect(rolesFromRules([{ claim: 'roles', value: 'devs', role: 'developer' }], {}, { groups: ['devs'] })).toEqual({ roles: [], overage: false });
  });

  it.each<[string, RoleRule[], Record<string, unknown>, boolean]>([
    ['overage while a rule reads groups is refused', ENTRA, { roles: ['Platform.Admin'], _claim_names: { groups: 'src1' }, _claim_sources: { src1: {} } }, true],
    ['overage without a groups rule is harmless', [{ claim: 'roles', value: 'Platform.Admin', role: 'admin' }], { roles: ['Platform.Admin'], _claim_names: { groups: 'src1' } }, false],
    ['other distributed claims are not overage', ENTRA, { groups: ['5f0c1a7e-groups-devs'], _claim_names: { address: 'src1' } }, false],
  ])('%s', (_case, rules, claims, overage) => {
    const result = rolesFromRules(rules, claims);
    expect(result.overage).toBe(overage);
    if (overage) expect(result.roles).toEqual([]);
  });
});

describe('claimAt', () => {
  it.each<[string, unknown, string, unknown]>([
    ['a top-level claim', { email: 'a@b.c' }, 'email', 'a@b.c'],
    ['a nested path', { a: { b: { c: 1 } } }, 'a.b.c', 1],
    ['the exact name before the path', { 'a.b': 1, a: { b: 2 } }, 'a.b', 1],
    ['nothing inside an array', { a: [{ b: 1 }] }, 'a.b', undefined],
    ['nothing on a prototype', {}, 'constructor', undefined],
  ])('%s', (_case, claims, path, expected) => {
    expect(claimAt(claims, path)).toEqual(expected);
  });
});

describe('checkRoleRules', () => {
  it('accepts and trims well-formed rules', () => {
    expect(checkRoleRules([{ claim: ' groups ', value: 'devs', role: 'developer' }])).toEqual({ rules: [{ claim: 'groups', value: 'devs', role: 'developer' }], problems: [] });
    expect(checkRoleRules(undefined)).toEqual({ rules: [], problems: [] });
  });

  it.each<[string, unknown, string]>([
    ['not an array', { claim: 'groups' }, 'roleRules must be an array'],
    ['a rule that is not an object', ['groups'], 'roleRules[0] must be an object'],
    ['an unknown role', [{ claim: 'groups', value: 'x', role: 'owner' }], 'roleRules[0].role must be "admin" or "developer"'],
    ['an empty value', [{ claim: 'groups', value: '', role: 'admin' }], 'roleRules[0].value must be a non-empty string'],
    ['a value that is not a string', [{ claim: 'groups', value: 1, role: 'admin' }], 'roleRules[0].value must be a non-empty string'],
    ['an empty claim', [{ claim: ' ', value: 'x', role: 'admin' }], 'roleRules[0].claim must be a claim name or a dotted path'],
    ['a broken path', [{ claim: 'realm_access..roles', value: 'x', role: 'admin' }], 'roleRules[0].claim must be a claim name or a dotted path'],
    ['an unknown field', [{ claim: 'groups', value: 'x', role: 'admin', when: 'always' }], 'roleRules[0] has unknown field(s) when'],
    ['too many rules', Array.from({ length: 101 }, () => ({ claim: 'groups', value: 'x', role: 'admin' })), 'roleRules may hold at most 100 rules'],
  ])('refuses %s', (_case, raw, problem) => {
    const checked = checkRoleRules(raw);
    expect(checked.rules).toEqual([]);
    expect(checked.problems.join('; ')).toContain(problem);
  });

  it('names the variable it was given', () => {
    expect(checkRoleRules([{ claim: 'groups' }], 'OIDC_ROLE_RULES').problems[0]).toMatch(/^OIDC_ROLE_RULES\[0\]/);
  });
});
