import type { ProviderReadiness, Readiness } from './provider-health.service.js';

/** Why sign-in cannot work, as anyone may be told it: a stable code and a sentence naming no URL, host or client. */
export interface PublicReason {
  reason: string;
  reasonMessage: string;
}

const SEE_LIFETIME = 'An administrator can see the details in LifeTime.';

/** One sentence per Test step; the step's own message (URLs, client ids, the provider's words) stays with admins. */
const STEP_SENTENCES: Record<string, string> = {
  discovery: "The identity provider's configuration document could not be read.",
  issuer: 'The identity provider names itself differently than configured.',
  endpoints: "The identity provider's configuration lacks what sign-in needs.",
  jwks: "The identity provider's signing keys could not be used.",
  client: 'The identity provider does not accept the client settings of this environment.',
  test: 'The identity provider is still being checked; try again in a few seconds.',
};

/** A Test code as stable as the probe's own codes; anything else (never expected) is reported by its step only. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/;

export function publicProviderReason(failure: { step: string; code: string } | undefined): PublicReason {
  if (!failure) return { reason: 'not_ready', reasonMessage: `The identity provider cannot be used right now. ${SEE_LIFETIME}` };
  const unreachable = /_(timeout|unreachable)$/.test(failure.code);
  const sentence = unreachable ? 'The identity provider could not be reached.' : (STEP_SENTENCES[failure.step] ?? 'The identity provider cannot be used right now.');
  return { reason: CODE.test(failure.code) ? failure.code : `${failure.step}_failed`, reasonMessage: `${sentence} ${SEE_LIFETIME}` };
}

/** A provider's readiness without its admin-only sentence. */
export interface PublicProviderReadiness {
  id: string;
  displayName: string;
  ready: boolean;
  reason?: string;
  reasonMessage?: string;
}

/** What an anonymous caller (a Studio asking `/api/desktop/environment`) is told about readiness. */
export function publicReadiness(readiness: Readiness): { ready: boolean; reason?: PublicReason; providers: PublicProviderReadiness[] } {
  const providers = readiness.providers.map(publicProvider);
  if (readiness.ready) return { ready: true, providers };
  if (providers.length === 0) return { ready: false, reason: { reason: 'no_provider', reasonMessage: `No identity provider is enabled in this environment. ${SEE_LIFETIME}` }, providers };
  const [first] = readiness.providers.filter((provider) => !provider.ready);
  return { ready: false, reason: publicProviderReason(first?.failure), providers };
}

function publicProvider(provider: ProviderReadiness): PublicProviderReadiness {
  const base = { id: provider.id, displayName: provider.displayName, ready: provider.ready };
  return provider.ready ? base : { ...base, ...publicProviderReason(provider.failure) };
}
