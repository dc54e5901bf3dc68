import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_LIST, readUserListQuery, userListUrl } from './user-list-query.js';

describe('readUserListQuery', () => {
  it.each([
    ['nothing', {}, DEFAULT_USER_LIST],
    ['empty values', { q: '', sort: '', order: '', page: '', size: '' }, DEFAULT_USER_LIST],
    ['a search, trimmed', { q: '  dev ' }, { ...DEFAULT_USER_LIST, search: 'dev' }],
    ['sort and order', { sort: 'email', order: 'desc' }, { ...DEFAULT_USER_LIST, sort: 'email', order: 'desc' }],
    ['sort by created', { sort: 'created' }, { ...DEFAULT_USER_LIST, sort: 'created' }],
    ['page and size', { page: '3', size: '10' }, { ...DEFAULT_USER_LIST, page: 3, size: 10 }],
    ['a size past the most, clamped', { size: '5000' }, { ...DEFAULT_USER_LIST, size: 100 }],
  ])('reads %s', (_label, query, expected) => {
    expect(readUserListQuery(query)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['an unknown sort', { sort: 'password' }, 'sort must be one of name, email, created'],
    ['an unknown order', { order: 'sideways' }, 'order must be asc or desc'],
    ['page 0', { page: '0' }, 'page must be a whole number from 1'],
    ['a negative page', { page: '-2' }, 'page must be a whole number from 1'],
    ['a fractional page', { page: '1.5' }, 'page must be a whole number from 1'],
    ['a page in words', { page: 'two' }, 'page must be a whole number from 1'],
    ['a huge page', { page: '99999999999999999999' }, 'page must be a whole number from 1'],
    ['size 0', { size: '0' }, 'size must be a whole number from 1 to 100'],
    ['a repeated sort', { sort: ['name', 'email'] }, 'sort was given more than once'],
  ])('refuses %s with the reason', (_label, query, problem) => {
    const read = readUserListQuery(query);
    expect(read.ok).toBe(false);
    expect(!read.ok && read.problems).toEqual([problem]);
  });

  it('keeps what it could read when it refuses', () => {
    const read = readUserListQuery({ q: 'dev', sort: 'email', page: 'x' });
    expect(read.value).toEqual({ ...DEFAULT_USER_LIST, search: 'dev', sort: 'email' });
  });
});

describe('userListUrl', () => {
  it.each([
    [{}, '/lifetime/users'],
    [{ page: 2 }, '/lifetime/users?page=2'],
    [{ search: 'a b', sort: 'email' as const, order: 'desc' as const, size: 10 }, '/lifetime/users?q=a+b&sort=email&order=desc&size=10'],
  ])('builds %o as %s', (changes, url) => {
    expect(userListUrl(DEFAULT_USER_LIST, changes)).toBe(url);
  });
});
