import { describe, expect, it } from 'vitest';
import { nextKeyActivation } from './rotating-key-set.js';

const DAY = 86_400_000;
const periods = { rotationMs: 90 * DAY, publishAheadMs: 14 * DAY };
const NOW = Date.UTC(2026, 11, 8);
/** A key as RotatingKeySet makes it: published through its period, one more, and the lead. */
const key = (activeFrom: number) => ({ activeFrom, publishedUntil: activeFrom + 2 * periods.rotationMs + periods.publishAheadMs });

describe('nextKeyActivation', () => {
  it.each([
    ['no key yet: the first signs at once', undefined, NOW],
    ['the newest signed for 10 days: nothing due', key(NOW - 10 * DAY), undefined],
    ['the newest signed for 75 days: nothing due yet', key(NOW - 75 * DAY), undefined],
    ['the newest signed for exactly 76 days: a successor, 14 days ahead', key(NOW - 76 * DAY), NOW + 14 * DAY],
    ['the newest signed for 150 days (a stop): a successor, still 14 days ahead', key(NOW - 150 * DAY), NOW + 14 * DAY],
    ['the newest is no longer published (a stop of 194 days): a key signs at once', key(NOW - 194 * DAY), NOW],
    ['a successor already waits: nothing more', key(NOW + 3 * DAY), undefined],
    ['the newest starts this very moment: nothing due', key(NOW), undefined],
  ])('%s', (_label, newest, expected) => {
    expect(nextKeyActivation(newest, NOW, periods)).toBe(expected);
  });
});
