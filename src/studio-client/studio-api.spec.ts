import { describe, expect, it } from 'vitest';
import { environmentOrigin, isStudioClient } from './studio-api.js';

describe('environmentOrigin', () => {
  it.each([
    ['dev.example.com', 'https://dev.example.com'],
    ['https://dev.example.com/', 'https://dev.example.com'],
    ['  https://dev.example.com/servicecenter?x=1 ', 'https://dev.example.com'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['dev.example.com:8443', 'https://dev.example.com:8443'],
    ['localhost:3000', 'http://localhost:3000'],
    ['127.0.0.1:3000/', 'http://127.0.0.1:3000'],
    ['localhost.example.com', 'https://localhost.example.com'],
  ])('reads %j as %s', (input, expected) => {
    expect(environmentOrigin(input)).toBe(expected);
  });

  it.each(['ftp://dev.example.com', 'https://', 'javascript://x'])('refuses %j', (input) => {
    expect(() => environmentOrigin(input)).toThrow(/environment URL/);
  });
});

describe('isStudioClient', () => {
  it('knows the two Studios only', () => {
    expect(isStudioClient('service-studio')).toBe(true);
    expect(isStudioClient('integration-studio')).toBe(true);
    expect(isStudioClient('toString')).toBe(false);
    expect(isStudioClient(undefined)).toBe(false);
  });
});
