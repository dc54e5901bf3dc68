import { ALGORITHMS } from './oidc-identity-provider.js';
import { ClientAuthUnavailableError, describeClientAuth, tokenRequestAuth, usesClientSecret, type ClientAssertionSigner, type ClientAuthMethod, type TokenRequestAuth } from './client-auth.js';
import { addressRefusalOf, type ProviderHttp } from './provider-http.js';
import { classifyTokenAnswer, type TokenAnswer } from './token-answer.js';

export type ProbeStepName = 'discovery' | 'issuer' | 'endpoints' | 'jwks' | 'client';

export interface ProbeStep {
  step: ProbeStepName;
  ok: boolean;
  /** Stable code, listed in the README's table. */
  code: string;
  /** A sentence a platform engineer can act on. */
  message: string;
  durationMs: number;
  /**
   * Present (true) on a step that passed without proving its point: an answer the Test cannot
   * read either way. Shown as a warning in LifeTime; it never takes the provider out of readiness.
   */
  warning?: true;
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
  /** The redirect URI sent with the dummy code; a draft without an id has none, and none is sent. */
  callbackUrl?: string;
  /** Not probed, but part of what a result is a result of (provider-fingerprint.ts). */
  scopes?: readonly string[];
}

/**
 * The dummy authorization code the client step sends. No provider has issued it, so a provider that
 * accepts the client's credentials refuses the code (`invalid_grant`, or its own word for it), and
 * one that does not answers `invalid_client` (see token-answer.ts).
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

type CheckResult = { code: string; message: string; warning?: true };
type Check = (context: ProbeContext) => Promise<CheckResult>;

export interface ProbeOptions {
  timeoutMs: number;
  /** The outgoing calls, with the address check every provider call has. */
  http: ProviderHttp;
}

interface ProbeContext {
  target: ProbeTarget;
  timeoutMs: number;
  http: ProviderHttp;
  metadata?: Record<string, unknown>;
}

/**
 * Tries a provider's set-up the way a login would use it, step by step, stopping at the first
 * failure (later steps are reported as `skipped`). Every call is bounded by `timeoutMs`.
 */
export async function probeProvider(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const context: ProbeContext = { target, ...options };
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
export async function discoverProvider(issuerUrl: string, options: ProbeOptions): Promise<ProbeResult & { details: DiscoveredDetails }> {
  const context: ProbeContext = { target: { issuer: issuerUrl, clientId: '', clientAuth: 'client_secret_post' }, ...options };
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
      const { code, message, warning } = await checks[step](context);
      steps.push({ step, ok: true, code, message, durationMs: elapsed(started), ...(warning ? { warning } : {}) });
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
  const response = await call(context, url, { headers: { accept: 'application/json' } }, 'discovery');
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
  const response = await call(context, url, { headers: { accept: 'application/json' } }, 'jwks');
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

async function client(context: ProbeContext): Promise<CheckResult> {
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

async function call(context: ProbeContext, url: string, init: { method?: string; headers: Record<string, string>; body?: URLSearchParams }, step: ProbeStepName): Promise<Response> {
  const { timeoutMs, http } = context;
  try {
    // Redirects are not followed: a 3xx is the answer.
    return await http.fetch(url, { ...init, headers: { ...init.headers, 'user-agent': PROBE_USER_AGENT }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const refused = addressRefusalOf(error);
    if (refused) {
      throw new StepFailure('address_not_allowed', `${url} was not called: ${refused.message}. Provider URLs may not lead to this service's own network; if the provider really runs there, list its address or range in ALLOW_PRIVATE_PROVIDER_ADDRESSES.`);
    }
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
