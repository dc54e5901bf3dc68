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

/**
 * What the per-address defaults are sized for: an office behind one NAT address at nine o'clock,
 * everyone signing in to a console or opening a Studio within the same minute.
 */
export const OFFICE_SURGE_PER_MINUTE = { signIns: 600, handoffs: 300 } as const;

/**
 * Requests one sign-in counts in the `login` bucket at most: `/auth/login`, the chooser's
 * `/auth/login/<id>` when several providers are enabled, and the provider's callback. A Studio
 * handoff whose browser has no session yet signs in the same way.
 */
export const LOGIN_REQUESTS_PER_SIGN_IN = 3;

/** (600 + 300) sign-ins × 3 requests = 2700, rounded up: a flood past 50 requests a second is still refused. */
export const DEFAULT_LOGIN_PER_MINUTE = 3000;

/** Twice the surge's handoffs (a Studio retried, a login cancelled and started again); device authorizations alike. */
export const DEFAULT_HANDOFFS_PER_MINUTE = 2 * OFFICE_SURGE_PER_MINUTE.handoffs;

export function bucketDefinitions(settings: RateLimitSettings, handoffTtlSeconds: number): Record<RateLimitBucket, BucketDefinition> {
  return {
    // Sign-in starts and callbacks from one address (an office behind one NAT shares it: see the defaults above).
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
