import type { MatchClaim } from '../identity-providers/identity-provider.entity.js';

/**
 * The trust rules between providers: when a login that no linked identity recognises may become
 * a platform user through its match claim. Pure functions over the provider's settings and the
 * verified claims; the login flow calls them and writes nothing when they refuse.
 */

/** What a provider says about how far its match claim can be trusted. */
export interface LinkingSettings {
  matchClaim: MatchClaim;
  /** The provider is trusted to assert this claim even without `email_verified: true` (Entra ID sends none). */
  trustEmail: boolean;
  /** When set, only values in these domains may bridge to a user (or create one). */
  emailDomains: readonly string[];
}

export type MatchRefusal = 'not_registered' | 'email_unverified' | 'domain_not_allowed';

export type MatchCheck = { ok: true; value: string } | { ok: false; reason: MatchRefusal };

/** An identity as (provider, issuer, subject). */
export interface IdentityKey {
  providerId: string;
  issuer: string;
  subject: string;
}

export type LinkDecision =
  | { kind: 'link' }
  /** The user signs in through other providers: one of them must confirm it is the same person. */
  | { kind: 'confirm'; throughProviderIds: string[] }
  /** The user already has another subject at this provider: a second account showing the same value. */
  | { kind: 'refuse'; reason: 'subject_conflict' };

/**
 * The first two checks of the rule: the value is verified (`email_verified: true` for an email, or a
 * provider trusted with `trustEmail` whose token does not say the email is unverified), and lies in
 * the provider's domains when it lists any.
 */
export function checkMatchClaim(settings: LinkingSettings, claims: Record<string, unknown>): MatchCheck {
  const raw = claims[settings.matchClaim];
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (!value) return { ok: false, reason: 'not_registered' };
  const verified = isTrue(claims.email_verified);
  const saysUnverified = isFalse(claims.email_verified);
  const trusted = (settings.matchClaim === 'email' && verified) || (settings.trustEmail && !saysUnverified);
  if (!trusted) return { ok: false, reason: 'email_unverified' };
  if (!inDomains(value, settings.emailDomains)) return { ok: false, reason: 'domain_not_allowed' };
  return { ok: true, value };
}

/** Whether a value's domain (after its last `@`, any case) is one of `domains`; true when none are listed. */
export function inDomains(value: string, domains: readonly string[]): boolean {
  if (domains.length === 0) return true;
  const at = value.lastIndexOf('@');
  if (at < 0) return false;
  const domain = value.slice(at + 1).toLowerCase();
  return domains.some((allowed) => allowed.toLowerCase() === domain);
}

/**
 * The third check: a login through P may link to a user found by its match claim only when the
 * user has no identity through another provider. Otherwise a provider that asserts someone's email
 * (a partner's tenant, a provider without verified emails) would take that account over; the
 * person proves it is them by signing in once through a provider the account already uses.
 */
export function decideLink(login: IdentityKey, linked: readonly IdentityKey[]): LinkDecision {
  if (linked.some((identity) => identity.providerId === login.providerId && identity.issuer === login.issuer && identity.subject !== login.subject)) {
    return { kind: 'refuse', reason: 'subject_conflict' };
  }
  const others = [...new Set(linked.filter((identity) => identity.providerId !== login.providerId).map((identity) => identity.providerId))];
  return others.length > 0 ? { kind: 'confirm', throughProviderIds: others } : { kind: 'link' };
}

/** A link waiting for the person to sign in through `throughProviderId` as `userId`. */
export interface PendingLink extends IdentityKey {
  userId: string;
  throughProviderId: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

/**
 * Whether a login completes a pending link: the same user, through the provider the page named,
 * before the link expired, and (when the provider says when the person authenticated) a sign-in
 * made after the link was offered rather than an older provider session.
 */
export function confirmsPendingLink(
  pending: PendingLink,
  login: { userId: string; providerId: string; authTime?: unknown },
  now: number,
  ttlMs: number,
): boolean {
  if (pending.userId !== login.userId || pending.throughProviderId !== login.providerId) return false;
  if (now - pending.createdAt > ttlMs || pending.createdAt > now + CLOCK_SKEW_MS) return false;
  if (typeof login.authTime === 'number' && login.authTime * 1000 < pending.createdAt - CLOCK_SKEW_MS) return false;
  return true;
}

const CLOCK_SKEW_MS = 60_000;

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}
