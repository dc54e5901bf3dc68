import { describe, expect, it } from 'vitest';
import { ScimException } from './scim-error.js';
import { applyPatch, PATCH_OP_SCHEMA } from './scim-patch.js';
import { readUser } from './scim-user-resource.js';

const user = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'ada@contoso.example',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@contoso.example', type: 'work', primary: true }],
});
const group = () => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: 'admins', members: [{ value: 'a' }, { value: 'b' }] });
const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });

describe('applyPatch', () => {
  it.each([
    ['Entra ID: "Replace" with a string boolean', body({ op: 'Replace', path: 'active', value: 'False' }), { active: false }],
    ['a path-less replace with an object value', body({ op: 'replace', value: { active: false, displayName: 'Ada L.' } }), { active: false, displayName: 'Ada L.' }],
    ['dotted keys in a path-less value', body({ op: 'Replace', value: { 'name.givenName': 'Augusta' } }), { name: { givenName: 'Augusta', familyName: 'Lovelace' } }],
    ['a value filter in the path', body({ op: 'replace', path: 'emails[type eq "work"].value', value: 'al@contoso.example' }), { emails: [{ value: 'al@contoso.example', type: 'work', primary: true }] }],
    ['an extension attribute by URN', body({ op: 'add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Maths' }), { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Maths' } }],
    ['operations in order', body({ op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'active', value: true }), { active: true }],
  ])('%s', (_, patch, expected) => {
    const result = applyPatch(user(), patch) as Record<string, unknown>;
    const read = readUser(result);
    const view = { ...read.attributes, active: read.active };
    expect(view).toMatchObject(expected);
  });

  it.each([
    ['members[value eq "a"] removal', body({ op: 'Remove', path: 'members[value eq "a"]' }), ['b']],
    ['removal by path and value (Entra ID)', body({ op: 'Remove', path: 'members', value: [{ value: 'b' }] }), ['a']],
    ['an add', body({ op: 'Add', path: 'members', value: [{ value: 'c' }] }), ['a', 'b', 'c']],
    ['a replace of all members', body({ op: 'replace', path: 'members', value: [{ value: 'z' }] }), ['z']],
  ])('groups: %s', (_, patch, members) => {
    expect((applyPatch(group(), patch) as { members: { value: string }[] }).members.map((member) => member.value)).toEqual(members);
  });

  it('leaves the resource it was given untouched', () => {
    const before = user();
    applyPatch(before, body({ op: 'replace', path: 'active', value: false }));
    expect(before).toEqual(user());
  });

  it.each([
    ['not an object', 'nope', 'invalidSyntax'],
    ['no PatchOp schema', { Operations: [{ op: 'add', path: 'title', value: 'x' }] }, 'invalidSyntax'],
    ['no operations', body(), 'invalidSyntax'],
    ['an unknown op', body({ op: 'frobnicate', path: 'active', value: false }), 'invalidSyntax'],
    ['an op that is not a string', body({ op: 1, path: 'active' }), 'invalidSyntax'],
    ['a path that is not a string', body({ op: 'add', path: 7, value: 'x' }), 'invalidPath'],
    ['an unbalanced filter', body({ op: 'replace', path: 'emails[type eq "work"', value: 'x' }), 'invalidSyntax'],
    ['a remove without a path', body({ op: 'remove' }), 'noTarget'],
    ['a path into the prototype', body({ op: 'add', path: '__proto__.polluted', value: 'x' }), 'invalidPath'],
    ['a path through constructor.prototype', body({ op: 'add', path: 'constructor.prototype.polluted', value: 'x' }), 'invalidPath'],
    ['a value with a __proto__ key', JSON.parse(`{"schemas":["${PATCH_OP_SCHEMA}"],"Operations":[{"op":"add","value":{"__proto__":{"polluted":"x"}}}]}`), 'invalidValue'],
    ['too many operations', body(...Array.from({ length: 1001 }, () => ({ op: 'add', path: 'title', value: 'x' }))), 'tooMany'],
  ])('refuses %s (400 %s), leaving Object.prototype alone', (_, patch, scimType) => {
    let error: unknown;
    try {
      applyPatch(user(), patch);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ScimException);
    expect(error).toMatchObject({ status: 400, scimType });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
