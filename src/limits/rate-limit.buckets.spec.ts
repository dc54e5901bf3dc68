import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { bucketDefinitions, LOGIN_REQUESTS_PER_SIGN_IN, OFFICE_SURGE_PER_MINUTE } from './rate-limit.buckets.js';

describe('the per-address rate limits as configured by default', () => {
  const config = loadConfig({});
  const buckets = bucketDefinitions(config.rateLimits, config.desktop.handoffTtlSeconds);
  /** A flood the limits exist for: thousands of requests a minute from one address. */
  const FLOOD_PER_MINUTE = 5000;

  it('let an office behind one address sign 600 people in and open 300 Studios in one minute', () => {
    const signInsWithTheirHandoffs = OFFICE_SURGE_PER_MINUTE.signIns + OFFICE_SURGE_PER_MINUTE.handoffs;
    expect(buckets.login).toMatchObject({ durationSeconds: 60 });
    expect(buckets.login.points).toBeGreaterThanOrEqual(signInsWithTheirHandoffs * LOGIN_REQUESTS_PER_SIGN_IN);
    for (const bucket of ['handoff-create', 'device-authorize'] as const) {
      expect(buckets[bucket]).toMatchObject({ durationSeconds: 60 });
      expect(buckets[bucket].points).toBeGreaterThanOrEqual(OFFICE_SURGE_PER_MINUTE.handoffs);
    }
  });

  it('still refuse a flood of thousands a minute', () => {
    for (const bucket of ['login', 'handoff-create', 'device-authorize'] as const) expect(buckets[bucket].points).toBeLessThan(FLOOD_PER_MINUTE);
    expect(buckets['handoff-create'].points).toBeLessThanOrEqual(1000);
  });

  it('are the sizes the README states', () => {
    expect([config.rateLimits.loginPerMinute, config.rateLimits.handoffsPerMinute]).toEqual([3000, 600]);
  });
});
