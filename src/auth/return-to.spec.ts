import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  it.each([
    ['/servicecenter', '/servicecenter'],
    ['/lifetime/apps?tab=2&x=%2F%2Fa', '/lifetime/apps?tab=2&x=%2F%2Fa'],
    ['/servicecenter/../lifetime', '/lifetime'],
  ])('keeps the local path %s', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });

  it.each([
    '//evil.example',
    '//evil.example/servicecenter',
    'https://evil.example',
    'http://evil.example/servicecenter',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    '/%09/evil.example',
    '/\n/evil.example',
    'javascript:alert(1)',
    'evil.example',
    '///evil.example',
    '/.//evil.example',
    '',
    undefined,
    42,
    '/' + 'a'.repeat(3000),
  ])('refuses %j', (input) => {
    const result = safeReturnTo(input, '/fallback');
    expect(result === '/fallback' || (result.startsWith('/') && !result.startsWith('//') && !result.includes('\\'))).toBe(true);
    expect(new URL(result, 'http://local.test').origin).toBe('http://local.test');
  });
});
