import type { IdentityProvider } from '../identity-providers/identity-provider.js';

/**
 * Protocol claims say how this token was issued, not who the person is: they are not kept, and a
 * new value of one is not a change worth a write.
 */
const PROTOCOL_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'at_hash', 'c_hash', 's_hash', 'auth_time', 'sid', 'jti', 'azp', 'acr', 'amr', 'uti', 'rh', 'ver', 'updated_at']);
/** A token past this size keeps only what the rules and the match claim read. */
const MAX_KEPT_CLAIMS_BYTES = 16 * 1024;

/** The claims worth keeping for later rule evaluation: identity and directory claims, bounded in size. */
export function keptClaims(claims: Record<string, unknown>, provider: Pick<IdentityProvider, 'matchClaim' | 'access'>): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(claims).filter(([name]) => !PROTOCOL_CLAIMS.has(name)));
  if (JSON.stringify(kept).length <= MAX_KEPT_CLAIMS_BYTES) return kept;
  const read = new Set(['sub', 'email', 'email_verified', 'name', provider.matchClaim, ...provider.access.roleRules.map((rule) => rule.claim.split('.')[0])]);
  return Object.fromEntries(Object.entries(kept).filter(([name]) => read.has(name)));
}

/** JSON with object keys sorted at every level, so equal claim sets compare equal whatever their order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
