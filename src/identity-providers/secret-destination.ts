import { usesClientSecret, type ClientAuthMethod } from './client-auth.js';

/**
 * Where a stored client secret goes is decided by the issuer: the token endpoint it is posted to
 * comes from the issuer's discovery document. A change of issuer that kept the stored secret would
 * hand it to whatever token endpoint the new issuer's document names, so such a change must carry
 * the secret again (as Grafana and Keycloak ask). A provider that authenticates without a secret
 * (private_key_jwt, or a change to it, which drops the stored secret) has none to leak.
 */
export interface SecretHolder {
  issuer: string;
  /** The provider sends a client secret to its token endpoint (one is stored, and its clientAuth is a secret method). */
  authenticatesWithSecret: boolean;
}

export interface SecretDestinationChange {
  issuer?: string;
  clientSecret?: string;
  /** A switch to private_key_jwt leaves no secret to send anywhere. */
  clientAuth?: ClientAuthMethod;
}

/** The changed fields that require `clientSecret` in the same change; empty when none does. */
export function fieldsNeedingSecretAgain(current: SecretHolder, changes: SecretDestinationChange): string[] {
  const sendsSecret = current.authenticatesWithSecret && (changes.clientAuth === undefined || usesClientSecret(changes.clientAuth));
  if (!sendsSecret || changes.clientSecret !== undefined) return [];
  return changes.issuer !== undefined && changes.issuer !== current.issuer ? ['issuer'] : [];
}
