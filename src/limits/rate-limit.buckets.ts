import type { RateLimitSettings } from '../config/app-config.js';

/**
 * Every rate limit of the service, in one place. A bucket counts `points` per key (an address, an
 * account, a handoff id) within `durationSeconds`; past them, requests get 429 with Retry-After
 * until the window ends (plus `blockSeconds`, when set).
 */
export interface BucketDefinition {
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
  /** What the refusal says is limited, for the person reading it. */
  describes: string;
}

export type RateLimitBucket = 'login' | 'handoff-create' | 'device-authorize' | 'handoff-redeem' | 'scim';

export function bucketDefinitions(settings: RateLimitSettings, handoffTtlSeconds: number): Record<RateLimitBucket, BucketDefinition> {
  return {
    // Sign-in starts and callbacks from one address (an office behind one NAT shares it: keep it generous).
    login: { points: settings.loginPerMinute, durationSeconds: 60, describes: 'sign-in attempts from your address' },
    'handoff-create': { points: settings.handoffsPerMinute, durationSeconds: 60, describes: 'Studio logins started from your address' },
    // Device codes are the same kind of row as handoff tickets, from tools that may loop: same limit.
    'device-authorize': { points: settings.handoffsPerMinute, durationSeconds: 60, describes: 'device sign-ins started from your address' },
    // Wrong codes for one handoff: past them the handoff is denied for good (see DesktopHandoffService).
    'handoff-redeem': { points: settings.redeemAttempts, durationSeconds: handoffTtlSeconds, describes: 'wrong codes for this Studio login' },
    // SCIM requests per token: a directory's sync cycle, which backs off on 429 and resumes.
    scim: { points: settings.scimPerMinute, durationSeconds: 60, describes: 'SCIM requests with this token' },
  };
}
