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

  describe('with protected app origins', () => {
    const apps = ['https://app.example.com', 'http://localhost:8080'];

    it.each([
      ['https://app.example.com/reports?x=1', 'https://app.example.com/reports?x=1'],
      ['https://APP.example.com', 'https://app.example.com/'],
      ['http://localhost:8080/a/../b', 'http://localhost:8080/b'],
      ['/lifetime', '/lifetime'],
    ])('keeps %s', (input, expected) => {
      expect(safeReturnTo(input, '/fallback', apps)).toBe(expected);
    });

    it.each([
      'https://app.example.com.evil.example/',
      'https://evil.example/?https://app.example.com',
      'https://app.example.com@evil.example/',
      'https://user:pw@app.example.com/',
      'http://app.example.com/',
      'https://app.example.com:444/',
      'http://localhost:8081/',
      'https://app.example.com\\@evil.example/',
      'https://app.example.com/\tx',
      'javascript://app.example.com/%0aalert(1)',
      '//app.example.com/',
      'ftp://app.example.com/',
    ])('refuses %j', (input) => {
      expect(safeReturnTo(input, '/fallback', apps)).toBe('/fallback');
    });

    it('refuses every absolute URL when no app is protected', () => {
      expect(safeReturnTo('https://app.example.com/', '/fallback')).toBe('/fallback');
    });
  });
});
