import { describe, expect, it } from 'vitest';
import { mayLinkThrough } from './users.service.js';

describe('mayLinkThrough', () => {
  it.each([
    ['a user made by hand, through any provider', null, 'corp', true],
    ['a user a directory created, through its own provider', 'corp', 'corp', true],
    ["a user a directory created, through another provider", 'corp', 'partner', false],
  ])('%s → %s', (_, provisionedBy, providerId, expected) => {
    expect(mayLinkThrough({ provisionedBy }, providerId)).toBe(expected);
  });
});
