import { describe, expect, it } from 'vitest';
import { eqConditions, GROUP_FILTER_ATTRIBUTES, USER_FILTER_ATTRIBUTES } from './scim-filter.js';
import { ScimException } from './scim-error.js';

describe('eqConditions (users)', () => {
  it.each([
    ['userName eq "ada@example.com"', [{ attribute: 'userName', value: 'ada@example.com' }]],
    ['USERNAME EQ "ada@example.com"', [{ attribute: 'userName', value: 'ada@example.com' }]],
    ['externalId eq "0f1e" and userName eq "a@b.c"', [{ attribute: 'externalId', value: '0f1e' }, { attribute: 'userName', value: 'a@b.c' }]],
    ['emails.value eq "a@b.c"', [{ attribute: 'emails.value', value: 'a@b.c' }]],
    ['emails[value eq "a@b.c"]', [{ attribute: 'emails.value', value: 'a@b.c' }]],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a@b.c"', [{ attribute: 'userName', value: 'a@b.c' }]],
    ['userName eq "x\\" OR 1=1 --"', [{ attribute: 'userName', value: 'x" OR 1=1 --' }]],
    ["userName eq \"'; DROP TABLE users; --\"", [{ attribute: 'userName', value: "'; DROP TABLE users; --" }]],
  ])('reads %s', (filter, expected) => {
    expect(eqConditions(filter, USER_FILTER_ATTRIBUTES)).toEqual(expected);
  });

  it.each([
    ['password eq "x"', 'cannot be filtered on'],
    ['userName co "ada"', 'Only "eq"'],
    ['userName eq "a" or userName eq "b"', 'Only "eq"'],
    ['not (userName eq "a")', 'Only "eq"'],
    ['userName pr', 'Only "eq"'],
    ['userName eq 1', 'compared with a string'],
    ['userName eq true', 'compared with a string'],
    ['userName eq "a" ; DROP TABLE users', 'cannot be parsed'],
    ['userName eq', 'cannot be parsed'],
    ['constructor eq "x"', 'cannot be filtered on'],
    ['emails[type eq "work"]', 'cannot be filtered on'],
    [`userName eq "${'a'.repeat(1001)}"`, 'longer than'],
  ])('refuses %s with 400 invalidFilter', (filter, message) => {
    let error: unknown;
    try {
      eqConditions(filter, USER_FILTER_ATTRIBUTES);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ScimException);
    expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
    expect((error as ScimException).detail).toContain(message);
  });
});

describe('eqConditions (groups)', () => {
  it('reads displayName eq', () => {
    expect(eqConditions('displayName eq "platform-admins"', GROUP_FILTER_ATTRIBUTES)).toEqual([{ attribute: 'displayName', value: 'platform-admins' }]);
  });
  it('refuses a user attribute', () => {
    expect(() => eqConditions('userName eq "a"', GROUP_FILTER_ATTRIBUTES)).toThrow(ScimException);
  });
});
