/**
 * Whether a sign-in may stand after an admin ended the user's sessions (Revoke, deactivation).
 * The provider keeps its own session, so a login right after a revocation would otherwise come back
 * signed in without the person doing anything: the authentication it reports (`auth_time`, in
 * seconds) must be later than the revocation.
 *
 * - `accept`: no revocation, or the authentication is later.
 * - `ask-again`: an ordinary login whose authentication is older, or undated: start again with
 *   `prompt=login` and `max_age=0`, so the provider asks the person.
 * - `refuse`: the login that already asked for a fresh authentication still reports an older one
 *   (a provider that ignores `prompt=login`): a readable page, not another round.
 * - `accept-undated`: that login's provider did not say when (`auth_time` absent, or 0 as Glewlwyd
 *   sends it, although max_age was sent); it was asked to authenticate again, which is what the rule can get.
 */
export type SignInFreshness = 'accept' | 'ask-again' | 'refuse' | 'accept-undated';

export function signInFreshness(input: { revokedAt: Date | null | undefined; authTime: unknown; askedAgain: boolean }): SignInFreshness {
  if (!input.revokedAt) return 'accept';
  // auth_time is whole seconds: an authentication in the very second of the revocation counts as
  // later, or a person signing in right after a Revoke would be asked twice.
  const revokedAtSecond = Math.floor(input.revokedAt.getTime() / 1000);
  // Glewlwyd 2.7 sends `auth_time: 0` whatever happened: a time no authentication had, so undated.
  const authTime = typeof input.authTime === 'number' && Number.isFinite(input.authTime) && input.authTime > 0 ? input.authTime : undefined;
  if (authTime !== undefined && authTime >= revokedAtSecond) return 'accept';
  if (!input.askedAgain) return 'ask-again';
  return authTime === undefined ? 'accept-undated' : 'refuse';
}
