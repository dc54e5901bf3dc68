import { ALGORITHMS } from './oidc-identity-provider.js';
import { ClientAuthUnavailableError, describeClientAuth, tokenRequestAuth, usesClientSecret, type ClientAssertionSigner, type ClientAuthMethod, type TokenRequestAuth } from './client-auth.js';

export type ProbeStepName = 'discovery' | 'issuer' | 'endpoints' | 'jwks' | 'client';

export interface ProbeStep {
  step: ProbeStepName;
  ok: boolean;
  /** Stable code, listed in the README's table. */
  code: string;
  /** A sentence a platform engineer can act on. */
  message: string;
  durationMs: number;
}

export interface ProbeResult {
  ok: boolean;
  steps: ProbeStep[];
}

export interface ProbeTarget {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** How the client step authenticates: the provider's configured method. */
  clientAuth: ClientAuthMethod;
  assertionSigner?: ClientAssertionSigner;
  callbackUrl: string;
}

/**
 * The dummy authorization code the client step sends. No provider has issued it, so a provider that
 * accepts the client's credentials answers `invalid_grant`, and one that does not answers `invalid_client`.
 */
export const PROBE_CODE = 'frontdoor-test-probe-not-a-real-code';

/** Names the Test's requests in the provider's logs, apart from sign-ins. */
export const PROBE_USER_AGENT = 'identity-front-door-provider-test';

const STEPS: ProbeStepName[] = ['discovery', 'issuer', 'endpoints', 'jwks', 'client'];
const ACCEPTED = new Set(ALGORITHMS);

class StepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Check = (context: ProbeContext) => Promise<{ code: string; message: string }>;

interface ProbeContext {
  target: ProbeTarget;
  timeoutMs: number;
  metadata?: Record<string, unknown>;
}

/**
 * Tries a provider's set-up the way a login would use it, step by step, stopping at the first
 * failure (later steps are reported as `skipped`). Every call is bounded by `timeoutMs`.
 */
export async function probeProvider(target: ProbeTarget, options: { timeoutMs: number }): Promise<ProbeResult> {
  const context: ProbeContext = { target, timeoutMs: options.timeoutMs };
  return runSteps(context, STEPS);
}

/** What "Get details" could read from a provider's discovery document, to fill a form with. */
export interface DiscoveredDetails {
  /** The issuer exactly as the provider names itself. */
  issuer?: string;
  /** openid, plus profile and email where the provider offers them. */
  scopes?: string[];
  matchClaim?: 'email' | 'preferred_username';
  /** The provider answers RP-initiated logout (end_session_endpoint). */
  endSession?: boolean;
}

/**
 * The Test's discovery steps alone (discovery, issuer, endpoints, jwks), for an issuer URL typed
 * into a form: no client is needed, and the document's values are returned to fill the form.
 */
export async function discoverProvider(issuerUrl: string, options: { timeoutMs: number }): Promise<ProbeResult & { details: DiscoveredDetails }> {
  const context: ProbeContext = { target: { issuer: issuerUrl, clientId: '', clientAuth: 'client_secret_post', callbackUrl: '' }, timeoutMs: options.timeoutMs };
  const result = await runSteps(context, STEPS.filter((step) => step !== 'client'));
  const metadata = context.metadata;
  if (!metadata) return { ...result, details: {} };
  const supported = (field: string): string[] | undefined => (Array.isArray(metadata[field]) ? (metadata[field] as unknown[]).filter((v): v is string => typeof v === 'string') : undefined);
  const scopesSupported = supported('scopes_supported');
  const claimsSupported = supported('claims_supported');
  return {
    ...result,
    details: {
      issuer: typeof metadata.issuer === 'string' && isHttpUrl(metadata.issuer) ? metadata.issuer : undefined,
      scopes: ['openid', ...['profile', 'email'].filter((scope) => !scopesSupported || scopesSupported.includes(scope))],
      matchClaim: !claimsSupported || claimsSupported.includes('email') ? 'email' : claimsSupported.includes('preferred_username') ? 'preferred_username' : undefined,
      endSession: isHttpUrl(metadata.end_session_endpoint),
    },
  };
}

async function runSteps(context: ProbeContext, names: ProbeStepName[]): Promise<ProbeResult> {
  const checks: Record<ProbeStepName, Check> = { discovery, issuer, endpoints, jwks, client };
  const steps: ProbeStep[] = [];
  let failed: ProbeStepName | undefined;
  for (const step of names) {
    if (failed) {
      steps.push({ step, ok: false, code: 'skipped', message: `Not run because the ${failed} step failed.`, durationMs: 0 });
      continue;
    }
    const started = performance.now();
    try {
      const { code, message } = await checks[step](context);
      steps.push({ step, ok: true, code, message, durationMs: elapsed(started) });
    } catch (error) {
      const failure = error instanceof StepFailure ? error : new StepFailure(`${step}_failed`, `Unexpected error: ${(error as Error).message}`);
      steps.push({ step, ok: false, code: failure.code, message: failure.message, durationMs: elapsed(started) });
      failed = step;
    }
  }
  return { ok: steps.every((step) => step.ok), steps };
}

/** The first failed step's sentence, for readiness reasons. */
export function probeReason(result: ProbeResult): string | undefined {
  const failed = result.steps.find((step) => !step.ok);
  return failed ? `${failed.step} ${failed.code}: ${failed.message}` : undefined;
}

function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

async function discovery(context: ProbeContext): Promise<{ code: string; message: string }> {
  const url = discoveryUrl(context.target.issuer);
  const started = performance.now();
  const response = await call(url, { headers: { accept: 'application/json' } }, context.timeoutMs, 'discovery');
  const ms = elapsed(started);
  if (response.status >= 300 && response.status < 400) {
    throw new StepFailure('discovery_redirect', `${url} answered HTTP ${response.status} redirecting to ${response.headers.get('location') ?? '(no location)'}; redirects are not followed. Set the issuer to the exact URL the provider names itself with.`);
  }
  if (!response.ok) {
    throw new StepFailure('discovery_http_error', `${url} answered HTTP ${response.status} in ${ms} ms. Check the issuer URL (for Keycloak it ends in /realms/<realm>, for Entra ID in /v2.0).`);
  }
  const body = await readJson(response);
  if (!body) {
    throw new StepFailure('discovery_not_json', `${url} answered HTTP ${response.status} but not with a JSON object (content type ${response.headers.get('content-type') ?? 'none'}). The issuer URL probably points at a web page, not at the provider.`);
  }
  context.metadata = body;
  return { code: 'discovery_ok', message: `Read ${url} (HTTP ${response.status}) in ${ms} ms.` };
}

async function issuer(context: ProbeContext): Promise<{ code: string; message: string }> {
  const announced = context.metadata!.issuer;
  // OpenID Connect Discovery 4.3: exact string equality, trailing slash included.
  if (announced !== context.target.issuer) {
    throw new StepFailure('issuer_mismatch', `The provider names itself "${String(announced)}", which does not match the configured issuer "${context.target.issuer}". Set the issuer to exactly "${String(announced)}".`);
  }
  return { code: 'issuer_ok', message: `The provider names itself ${context.target.issuer}, as configured.` };
}

async function endpoints(context: ProbeContext): Promise<{ code: string; message: string }> {
  const metadata = context.metadata!;
  const missing = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'].filter((field) => !isHttpUrl(metadata[field]));
  if (missing.length > 0) {
    throw new StepFailure('endpoints_missing', `The discovery document lacks a valid ${missing.join(', ')}. This is not a complete OpenID Connect provider configuration; check the issuer URL.`);
  }
  const pkce = Array.isArray(metadata.code_challenge_methods_supported) && metadata.code_challenge_methods_supported.includes('S256');
  const endSession = isHttpUrl(metadata.end_session_endpoint);
  return {
    code: 'endpoints_ok',
    message: `Authorization, token and JWKS endpoints are present; PKCE S256 ${pkce ? 'offered (used)' : 'not offered (logins run without PKCE)'}; end_session_endpoint ${endSession ? 'offered (logout signs out at the provider too)' : 'not offered (logout ends the local session only)'}.`,
  };
}

async function jwks(context: ProbeContext): Promise<{ code: string; message: string }> {
  const url = String(context.metadata!.jwks_uri);
  const response = await call(url, { headers: { accept: 'application/json' } }, context.timeoutMs, 'jwks');
  if (!response.ok) throw new StepFailure('jwks_http_error', `The JWKS at ${url} answered HTTP ${response.status}; ID tokens could not be verified.`);
  const body = await readJson(response);
  const keys = Array.isArray(body?.keys) ? (body.keys as Record<string, unknown>[]) : undefined;
  if (!keys) throw new StepFailure('jwks_not_json', `The JWKS at ${url} is not a JSON key set ({"keys": [...]}).`);
  const usable = keys.filter((key) => key.use !== 'enc' && (typeof key.alg === 'string' ? ACCEPTED.has(key.alg) : ['RSA', 'EC', 'OKP'].includes(String(key.kty))));
  if (usable.length === 0) {
    throw new StepFailure('jwks_no_usable_key', `The JWKS at ${url} holds ${keys.length} key(s), none for an accepted signing algorithm (${[...ACCEPTED].join(', ')}). Configure the provider to sign ID tokens with RS256 or ES256.`);
  }
  return { code: 'jwks_ok', message: `The JWKS at ${url} holds ${usable.length} usable signing key(s).` };
}

async function client(context: ProbeContext): Promise<{ code: string; message: string }> {
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
  const error = typeof answer?.error === 'string' ? answer.error : undefined;
  const credentials = usesClientSecret(clientAuth) ? 'its secret' : 'its signed client assertion';
  switch (error) {
    case 'invalid_grant': {
      const accepted = `The token endpoint accepted client "${clientId}" and ${credentials}, sent with ${method} (it refused only the test's dummy code, as expected).`;
      return clientAuth === 'private_key_jwt' ? nextKeyCheck(context, url, accepted) : { code: 'client_ok', message: accepted };
    }
    case 'invalid_client':
      throw new StepFailure('client_rejected', `The token endpoint refused client "${clientId}" authenticated with ${method} (invalid_client): ${rejectionHint(clientAuth)}`);
    case 'unauthorized_client':
      throw new StepFailure('client_not_allowed', `Client "${clientId}" is not allowed the authorization code grant (unauthorized_client). Enable "authorization code" / "standard flow" for the client at the provider.`);
    case 'invalid_request':
      throw new StepFailure('client_invalid_request', `The token endpoint refused the request (invalid_request${typeof answer?.error_description === 'string' ? `: ${answer.error_description}` : ''}). Check that ${callbackUrl} is a registered redirect URI and that the client accepts ${clientAuth}.`);
  }
  throw new StepFailure('client_unexpected_response', `The token endpoint ${url} answered HTTP ${response.status}${error ? ` with ${error}` : ' without an OAuth error'} to ${method}; the credentials could not be confirmed.`);
}

/**
 * While the next client assertion key waits for its switch, the Test also signs with it: a provider
 * that fetches the JWKS URL accepts it already, one that holds an uploaded certificate only once
 * the next certificate is uploaded. The step still passes (sign-in works today) but says so.
 */
async function nextKeyCheck(context: ProbeContext, url: string, accepted: string): Promise<{ code: string; message: string }> {
  const { clientId, assertionSigner } = context.target;
  const activeFrom = await assertionSigner?.nextKeyActiveFrom?.();
  if (!activeFrom) return { code: 'client_ok', message: accepted };
  const auth = await tokenRequestAuth({ method: 'private_key_jwt', clientId, tokenEndpoint: url, signer: assertionSigner, assertionKey: 'next' });
  const { response, answer } = await probeCodeExchange(context, url, auth);
  const error = answer?.error;
  const when = activeFrom.toISOString();
  if (error === 'invalid_grant') return { code: 'client_ok', message: `${accepted} The next key, which signs from ${when}, is accepted too.` };
  return {
    code: 'client_next_key_unknown',
    message: `${accepted} The next key, which signs from ${when}, is not accepted yet (${typeof error === 'string' ? error : `HTTP ${response.status}`}): where the provider holds an uploaded certificate (Entra ID, Auth0), upload the next one (GET /api/admin/identity-providers/<id>/certificate?key=next, or LifeTime) before then.`,
  };
}

/** The token request of a login, with the dummy code and the given client authentication. */
async function probeCodeExchange(context: ProbeContext, url: string, auth: TokenRequestAuth): Promise<{ response: Response; answer?: Record<string, unknown> }> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: PROBE_CODE, redirect_uri: context.target.callbackUrl, ...auth.params });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...auth.headers };
  const response = await call(url, { method: 'POST', headers, body }, context.timeoutMs, 'client');
  return { response, answer: await readJson(response) };
}

/** What to check at the provider when it refuses the client, by method. */
function rejectionHint(method: ClientAuthMethod): string {
  if (method === 'private_key_jwt') {
    return 'the client id is wrong, the client is not set to private_key_jwt ("Signed JWT", "Public key / Private key", "Private Key JWT"), or the provider does not know this service\'s key: register its JWKS URL (/auth/client-jwks.json) or upload its current certificate.';
  }
  return `the client id or the secret is wrong, the secret has expired, or the client is not set to ${method}. Copy both again from the provider's app registration.`;
}

async function call(url: string, init: RequestInit, timeoutMs: number, step: ProbeStepName): Promise<Response> {
  try {
    const headers = new Headers(init.headers);
    headers.set('user-agent', PROBE_USER_AGENT);
    return await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new StepFailure(`${step}_timeout`, `${url} did not answer within ${timeoutMs} ms (OIDC_HTTP_TIMEOUT_MS). Check that this service can reach the provider (proxy, firewall, DNS).`);
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new StepFailure(`${step}_unreachable`, `${url} could not be reached (${cause?.code ?? cause?.message ?? (error as Error).message}). Check the URL and that this service can reach the provider (proxy, firewall, DNS).`);
  }
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  const parsed: unknown = await response.json().catch(() => undefined);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
