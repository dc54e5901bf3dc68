/**
 * How this service authenticates itself to an identity provider's token endpoint (OAuth 2.0
 * RFC 6749 §2.3, OpenID Connect Core §9): one method per provider, used by every authenticated
 * call (the code exchange and the Test's client step alike).
 */
export const CLIENT_AUTH_METHODS = ['client_secret_post', 'client_secret_basic', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
export const DEFAULT_CLIENT_AUTH: ClientAuthMethod = 'client_secret_post';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Which key signs: the one whose time has come, or the one published ahead of its switch. */
export type AssertionKeyChoice = 'current' | 'next';

/** Signs RFC 7523 client assertions (iss = sub = client id, aud = the token endpoint). */
export interface ClientAssertionSigner {
  sign(input: { clientId: string; audience: string; key?: AssertionKeyChoice }): Promise<string>;
  /** When the next key takes over, while one is published ahead of its switch. */
  nextKeyActiveFrom?(): Promise<Date | undefined>;
}

/** The headers and form fields that authenticate one token request. */
export interface TokenRequestAuth {
  headers: Record<string, string>;
  params: Record<string, string>;
}

export class ClientAuthUnavailableError extends Error {}

export function isClientAuthMethod(value: unknown): value is ClientAuthMethod {
  return typeof value === 'string' && (CLIENT_AUTH_METHODS as readonly string[]).includes(value);
}

export function usesClientSecret(method: ClientAuthMethod): boolean {
  return method !== 'private_key_jwt';
}

/** How the Test and the console name a method. */
export function describeClientAuth(method: ClientAuthMethod): string {
  switch (method) {
    case 'client_secret_post':
      return 'client_secret_post (the secret in the request body)';
    case 'client_secret_basic':
      return 'client_secret_basic (the secret in an HTTP Basic header)';
    case 'private_key_jwt':
      return 'private_key_jwt (a client assertion signed with this service\'s key)';
  }
}

/**
 * What is wrong with a provider's secret for its method, or undefined: a secret method needs a
 * secret (given now or stored), and private_key_jwt takes none.
 */
export function clientSecretProblem(method: ClientAuthMethod, secret: { given: boolean; stored: boolean }): string | undefined {
  if (usesClientSecret(method) && !secret.given && !secret.stored) return `clientAuth ${method} needs a clientSecret`;
  if (!usesClientSecret(method) && secret.given) return 'clientAuth private_key_jwt uses no client secret: leave clientSecret out';
  return undefined;
}

/**
 * RFC 6749 §2.3.1: the client id and secret are each encoded with application/x-www-form-urlencoded
 * (Appendix B) before they are joined with ":" and Base64-encoded, so a secret holding ":", "+", "%"
 * or a space reaches the provider unchanged.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** The authentication of one token request to `tokenEndpoint`, by the provider's method. */
export async function tokenRequestAuth(input: {
  method: ClientAuthMethod;
  clientId: string;
  clientSecret?: string;
  tokenEndpoint: string;
  signer?: ClientAssertionSigner;
  /** For private_key_jwt: the Test also tries the next key, so an upload can be confirmed before its switch. */
  assertionKey?: AssertionKeyChoice;
}): Promise<TokenRequestAuth> {
  const { method, clientId, clientSecret } = input;
  switch (method) {
    case 'client_secret_post':
      if (!clientSecret) throw new ClientAuthUnavailableError('no client secret is configured');
      return { headers: {}, params: { client_id: clientId, client_secret: clientSecret } };
    case 'client_secret_basic':
      if (!clientSecret) throw new ClientAuthUnavailableError('no client secret is configured');
      return { headers: { authorization: basicAuthorization(clientId, clientSecret) }, params: {} };
    case 'private_key_jwt': {
      if (!input.signer) throw new ClientAuthUnavailableError('no client assertion key is available');
      const assertion = await input.signer.sign({ clientId, audience: input.tokenEndpoint, key: input.assertionKey ?? 'current' });
      return { headers: {}, params: { client_id: clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion } };
    }
  }
}
