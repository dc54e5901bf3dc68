/**
 * What a token endpoint's answer to the Test's dummy authorization code proves about the client's
 * credentials. The code was never issued, so no answer can be a success; the question is only
 * whether the provider got past client authentication before refusing.
 */
export type TokenAnswer =
  /** Refused the code itself (`invalid_grant`, Glewlwyd's 403 `invalid_code`, …): the credentials passed. */
  | { verdict: 'accepted'; error: string }
  /** `invalid_client` or a 401: the client id or secret was refused. */
  | { verdict: 'rejected'; error?: string }
  /** `unauthorized_client`: a wrong secret, an unregistered redirect URI or a disallowed grant, depending on the provider. */
  | { verdict: 'not_allowed'; error: 'unauthorized_client' }
  /** `unsupported_grant_type`: the client may not use the authorization code grant. */
  | { verdict: 'grant_refused'; error: 'unsupported_grant_type' }
  | { verdict: 'invalid_request'; description?: string }
  /** Anything else: no conclusion either way (a web page, a 5xx, a server_error, a 2xx). */
  | { verdict: 'unclassified'; error?: string };

/**
 * Errors that say nothing about the code, so they cannot be read as "the credentials passed":
 * the provider failed, or refused something the Test did not ask for.
 */
const NOT_ABOUT_THE_CODE = new Set(['server_error', 'temporarily_unavailable', 'invalid_scope', 'access_denied', 'invalid_token', 'invalid_dpop_proof', 'use_dpop_nonce']);

/** An OAuth error code is printable ASCII without quotes or backslashes (RFC 6749 §5.2). */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

export function classifyTokenAnswer(status: number, body: Record<string, unknown> | undefined): TokenAnswer {
  const raw = body?.error;
  const error = typeof raw === 'string' && ERROR_CODE.test(raw) ? raw : undefined;
  if (error === 'invalid_client' || status === 401) return { verdict: 'rejected', ...(error ? { error } : {}) };
  if (error === 'unauthorized_client') return { verdict: 'not_allowed', error };
  if (error === 'unsupported_grant_type') return { verdict: 'grant_refused', error };
  if (error === 'invalid_request') {
    const description = typeof body?.error_description === 'string' ? body.error_description.slice(0, 300) : undefined;
    return { verdict: 'invalid_request', ...(description ? { description } : {}) };
  }
  if (error && !NOT_ABOUT_THE_CODE.has(error) && status >= 400 && status < 500) return { verdict: 'accepted', error };
  return { verdict: 'unclassified', ...(error ? { error } : {}) };
}
