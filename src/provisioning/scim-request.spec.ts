import { describe, expect, it } from 'vitest';
import { excludesMembers, readPage, scimOperation, scimOutcome } from './scim-request.js';

describe('readPage', () => {
  it.each([
    [{}, { startIndex: 1, count: 100 }],
    [{ startIndex: '11', count: '5' }, { startIndex: 11, count: 5 }],
    [{ startIndex: '0', count: '-3' }, { startIndex: 1, count: 0 }],
    [{ count: '100000' }, { startIndex: 1, count: 200 }],
  ])('reads %j', (query, page) => expect(readPage(query)).toEqual(page));

  it.each([[{ startIndex: 'one' }], [{ count: '1.5' }], [{ count: ['1', '2'] }]])('refuses %j', (query) => {
    expect(() => readPage(query)).toThrow(/must be an integer/);
  });
});

describe('excludesMembers', () => {
  it.each([
    ['members', true],
    ['Members', true],
    ['displayName, members', true],
    ['urn:ietf:params:scim:schemas:core:2.0:Group:members', true],
    ['displayName', false],
    [undefined, false],
  ])('%s → %s', (value, expected) => expect(excludesMembers(value)).toBe(expected));
});

describe('scimOperation and scimOutcome', () => {
  it.each([
    ['POST', '/scim/v2/Users', 'users.create'],
    ['GET', '/scim/v2/Users', 'users.list'],
    ['GET', '/scim/v2/Users/abc', 'users.get'],
    ['PATCH', '/scim/v2/Groups/abc', 'groups.patch'],
    ['DELETE', '/scim/v2/Groups/abc', 'groups.delete'],
    ['PUT', '/scim/v2/Users/abc', 'users.replace'],
    ['GET', '/scim/v2/ServiceProviderConfig', 'discovery'],
    ['GET', '/scim/v2/Bulk', 'other'],
  ])('%s %s is %s', (method, path, operation) => expect(scimOperation(method, path)).toBe(operation));

  it.each([
    [200, 'success'],
    [204, 'success'],
    [400, 'invalid'],
    [401, 'unauthenticated'],
    [404, 'not_found'],
    [409, 'conflict'],
    [413, 'invalid'],
    [429, 'rate_limited'],
    [501, 'unsupported'],
    [503, 'error'],
  ])('%s is %s', (status, outcome) => expect(scimOutcome(status)).toBe(outcome));
});
