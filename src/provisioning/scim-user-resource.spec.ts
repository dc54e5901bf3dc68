import { describe, expect, it } from 'vitest';
import { ScimException } from './scim-error.js';
import { readBoolean, readUser, userResource } from './scim-user-resource.js';

describe('readUser', () => {
  it('reads what Entra ID sends on create', () => {
    const input = readUser({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      externalId: 'e-1',
      userName: ' Ada@Contoso.example ',
      active: 'True',
      emails: [{ primary: 'true', type: 'work', value: 'ADA@contoso.example' }],
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      password: 'never-kept',
      meta: { resourceType: 'User' },
    });
    expect(input).toEqual({
      userName: 'Ada@Contoso.example',
      externalId: 'e-1',
      active: true,
      displayName: 'Ada Lovelace',
      emails: ['ada@contoso.example'],
      attributes: { emails: [{ primary: true, type: 'work', value: 'ADA@contoso.example' }], name: { givenName: 'Ada', familyName: 'Lovelace' } },
    });
  });

  it.each([
    [{ userName: 'a@b.c', displayName: 'Shown' }, 'Shown'],
    [{ userName: 'a@b.c', name: { formatted: 'Formatted Name' } }, 'Formatted Name'],
    [{ userName: 'a@b.c', name: { givenName: 'Only' } }, 'Only'],
    [{ userName: 'someone@b.c' }, 'someone'],
  ])('picks the display name of %j', (body, displayName) => {
    expect(readUser(body).displayName).toBe(displayName);
  });

  it.each([
    ['no userName', {}],
    ['an empty userName', { userName: '  ' }],
    ['a userName that is not a string', { userName: 42 }],
    ['a long userName', { userName: `${'a'.repeat(320)}@b.c` }],
    ['an active that is not a boolean', { userName: 'a@b.c', active: 'yes' }],
    ['emails that are not an array', { userName: 'a@b.c', emails: 'a@b.c' }],
    ['an email without a value', { userName: 'a@b.c', emails: [{ type: 'work' }] }],
    ['a name that is not an object', { userName: 'a@b.c', name: 'Ada' }],
    ['an externalId that is not a string', { userName: 'a@b.c', externalId: 5 }],
    ['a body that is an array', [{ userName: 'a@b.c' }]],
  ])('refuses %s with 400', (_, body) => {
    expect(() => readUser(body)).toThrow(ScimException);
  });
});

describe('readBoolean', () => {
  it.each([
    [true, true],
    [false, false],
    ['True', true],
    ['False', false],
    ['FALSE', false],
    [' true ', true],
  ])('%j → %s', (value, expected) => expect(readBoolean(value, 'active')).toBe(expected));
  it.each([['0'], [0], [null], ['no']])('refuses %j', (value) => expect(() => readBoolean(value, 'active')).toThrow(ScimException));
});

describe('userResource', () => {
  it('answers the stored attributes with id, userName, active and meta', () => {
    const created = new Date('2026-12-01T00:00:00Z');
    expect(
      userResource({ id: 'u1', userName: 'Ada@contoso.example', externalId: null, active: false, displayName: 'Ada', attributes: { title: 'Countess', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Maths' } }, created, lastModified: created }, 'https://fd.example/scim/v2'),
    ).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      id: 'u1',
      userName: 'Ada@contoso.example',
      title: 'Countess',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Maths' },
      displayName: 'Ada',
      active: false,
      meta: { resourceType: 'User', created: created.toISOString(), lastModified: created.toISOString(), location: 'https://fd.example/scim/v2/Users/u1', version: `W/"${created.getTime()}"` },
    });
  });
});
