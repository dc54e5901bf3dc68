import { ALGORITHMS } from './oidc-identity-provider.js';
import type { ClientAssertionSigner, ClientAuthMethod } from './client-auth.js';
import { call, readJson, StepFailure, type CheckResult, type ProbeContext } from './probe-calls.js';
import { client } from './probe-client-step.js';
import type { ProviderHttp } from './provider-http.js';

export { PROBE_CODE } from './probe-client-step.js';
export { PROBE_USER_AGENT } from './probe-calls.js';

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

const STEPS: ProbeStepName[] = ['discovery', 'issuer', 'endpoints', 'jwks', 'client'];
const ACCEPTED = new Set(ALGORITHMS);

type Check = (context: ProbeContext) => Promise<CheckResult>;

export interface ProbeOptions {
  timeoutMs: number;
  /** The outgoing calls, with the address check every provider call has. */
  http: ProviderHttp;
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
