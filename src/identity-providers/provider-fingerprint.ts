import { createHash } from 'node:crypto';

/** What a provider's Test and its sign-ins depend on. */
export interface FingerprintedSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** How the client authenticates: a switch of method is another configuration. */
  clientAuth?: string;
  callbackUrl?: string;
  scopes?: readonly string[];
}

/**
 * A digest of the configuration a Test ran against, stored with its result: a result belongs to
 * that configuration only, so a changed issuer, client or secret (the environment's after a restart
 * with other OIDC_* values) is never reported with an older configuration's verdict. The secret
 * enters only as its own SHA-256, under a label, never as itself. client_secret_post, the method
 * every provider used before clientAuth existed, adds nothing, so results recorded then still count.
 */
export function providerFingerprint(settings: FingerprintedSettings): string {
  const secret = settings.clientSecret ? sha256(`frontdoor-client-secret:${settings.clientSecret}`) : null;
  const scopes = settings.scopes ? [...new Set(settings.scopes)].sort() : null;
  const clientAuth = settings.clientAuth && settings.clientAuth !== 'client_secret_post' ? { clientAuth: settings.clientAuth } : {};
  return sha256(JSON.stringify({ issuer: settings.issuer, clientId: settings.clientId, secret, ...clientAuth, callbackUrl: settings.callbackUrl, scopes }));
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
