import { ClientAuthUnavailableError, describeClientAuth, tokenRequestAuth, usesClientSecret, type ClientAuthMethod, type TokenRequestAuth } from './client-auth.js';
import { call, readJson, StepFailure, type CheckResult, type ProbeContext } from './probe-calls.js';
import { classifyTokenAnswer, type TokenAnswer } from './token-answer.js';

/**
 * The dummy authorization code the client step sends. No provider has issued it, so a provider that
 * accepts the client's credentials refuses the code (`invalid_grant`, or its own word for it), and
 * one that does not answers `invalid_client` (see token-answer.ts).
 */
export const PROBE_CODE = 'frontdoor-test-probe-not-a-real-code';

/**
 * The Test's client step: the token request of a login, with the dummy code, authenticated by the
 * provider's configured method, its answer read by what it proves (token-answer.ts).
 */
export async function client(context: ProbeContext): Promise<CheckResult> {
  const { clientId, clientSecret, clientAuth, callbackUrl } = context.target;
  const method = describeClientAuth(clientAuth);
  if (usesClientSecret(clientAuth) && !clientSecret) {
    throw new StepFailure('client_no_secret', `No client secret is configured for ${method}; this service signs in as a confidential client. Set the client secret from the provider's app registration, or use private_key_jwt.`);
  }
  const url = String(context.metadata!.token_endpoint);
  let auth;
  try {
    auth = await tokenRequestAuth({ method: clientAuth, clientId, clientSecret, tokenEndpoint: url, signer: context.target.assertionSigner });
  } catch (error) {
    if (!(error instanceof ClientAuthUnavailableError)) throw error;
    throw new StepFailure('client_no_credentials', `The client cannot authenticate with ${method}: ${error.message}.`);
  }
  const { response, answer } = await probeCodeExchange(context, url, auth);
  const credentials = usesClientSecret(clientAuth) ? 'its secret' : 'its signed client assertion';
  const sent = callbackUrl
    ? `The Test sent the redirect URI ${callbackUrl}.`
    : 'The Test sent no redirect URI: the draft has no id, and the redirect URI is <PUBLIC_URL>/auth/callback/<id>.';
  switch (answer.verdict) {
    case 'accepted': {
      const accepted = `The token endpoint accepted client "${clientId}" and ${credentials}, sent with ${method}: it refused only the Test's dummy code (${answer.error}, HTTP ${response.status}), as expected. ${sent}`;
      return clientAuth === 'private_key_jwt' ? nextKeyCheck(context, url, accepted) : { code: 'client_ok', message: accepted };
    }
    case 'rejected':
      throw new StepFailure('client_rejected', `The token endpoint refused client "${clientId}" authenticated with ${method} (${answer.error ?? `HTTP ${response.status}`}): ${rejectionHint(clientAuth)}`);
    case 'not_allowed':
      throw new StepFailure(
        'client_not_allowed',
        `The token endpoint answered unauthorized_client for client "${clientId}" authenticated with ${method}. Providers use it for three different problems: ${wrongCredentials(clientAuth)}, a redirect URI not registered for the client, or a client not allowed the authorization code grant. Check all three: ${checkCredentials(clientAuth)}, register ${callbackUrl ?? 'the redirect URI <PUBLIC_URL>/auth/callback/<id>'}, and enable "authorization code" / "standard flow" for the client. ${sent}`,
      );
    case 'grant_refused':
      throw new StepFailure('client_not_allowed', `Client "${clientId}" is not allowed the authorization code grant (unsupported_grant_type). Enable "authorization code" / "standard flow" for the client at the provider.`);
    case 'invalid_request':
      throw new StepFailure(
        'client_invalid_request',
        `The token endpoint refused the request (invalid_request${answer.description ? `: ${answer.description}` : ''}). ${callbackUrl ? `Check that ${callbackUrl} is a registered redirect URI` : 'Give the draft the id it will have, so that the Test sends the redirect URI the provider will see,'} and that the client accepts ${clientAuth}. ${sent}`,
      );
    case 'unclassified':
      // Sign-in may well work: this answer just proves nothing. Readiness does not depend on it.
      return {
        code: 'client_unexpected_response',
        warning: true,
        message: `The token endpoint ${url} answered HTTP ${response.status}${answer.error ? ` with ${answer.error}` : ' without an OAuth error'} to ${method}, which neither confirms nor refutes client "${clientId}" and ${credentials}. Sign in once to be sure; if it fails, check the token endpoint and the credentials. ${sent}`,
      };
  }
}

/**
 * While the next client assertion key waits for its switch, the Test also signs with it: a provider
 * that fetches the JWKS URL accepts it already, one that holds an uploaded certificate only once
 * the next certificate is uploaded. The step still passes (sign-in works today) but says so.
 */
async function nextKeyCheck(context: ProbeContext, url: string, accepted: string): Promise<CheckResult> {
  const { clientId, assertionSigner } = context.target;
  const activeFrom = await assertionSigner?.nextKeyActiveFrom?.();
  if (!activeFrom) return { code: 'client_ok', message: accepted };
  const auth = await tokenRequestAuth({ method: 'private_key_jwt', clientId, tokenEndpoint: url, signer: assertionSigner, assertionKey: 'next' });
  const { response, answer } = await probeCodeExchange(context, url, auth);
  const when = activeFrom.toISOString();
  if (answer.verdict === 'accepted') return { code: 'client_ok', message: `${accepted} The next key, which signs from ${when}, is accepted too.` };
  const said = 'error' in answer && answer.error ? answer.error : `HTTP ${response.status}`;
  return {
    code: 'client_next_key_unknown',
    message: `${accepted} The next key, which signs from ${when}, is not accepted yet (${said}): where the provider holds an uploaded certificate (Entra ID, Auth0), upload the next one (GET /api/admin/identity-providers/<id>/certificate?key=next, or LifeTime) before then.`,
  };
}

/** The token request of a login, with the dummy code and the given client authentication, read by what it proves. */
async function probeCodeExchange(context: ProbeContext, url: string, auth: TokenRequestAuth): Promise<{ response: Response; answer: TokenAnswer }> {
  const { callbackUrl } = context.target;
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: PROBE_CODE, ...(callbackUrl ? { redirect_uri: callbackUrl } : {}), ...auth.params });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...auth.headers };
  const response = await call(context, url, { method: 'POST', headers, body }, 'client');
  return { response, answer: classifyTokenAnswer(response.status, await readJson(response)) };
}

/** What to check at the provider when it refuses the client, by method. */
function rejectionHint(method: ClientAuthMethod): string {
  if (method === 'private_key_jwt') {
    return 'the client id is wrong, the client is not set to private_key_jwt ("Signed JWT", "Public key / Private key", "Private Key JWT"), or the provider does not know this service\'s key: register its JWKS URL (/auth/client-jwks.json) or upload its current certificate.';
  }
  return `the client id or the secret is wrong, the secret has expired, or the client is not set to ${method}. Copy both again from the provider's app registration.`;
}

function wrongCredentials(method: ClientAuthMethod): string {
  return method === 'private_key_jwt' ? 'a client assertion it cannot verify (the client not set to private_key_jwt, or this service\'s key unknown to it)' : 'a wrong client secret';
}

function checkCredentials(method: ClientAuthMethod): string {
  return method === 'private_key_jwt' ? 'register the JWKS URL (/auth/client-jwks.json) or upload the current certificate' : 'copy the secret again';
}
