import { HttpStatus } from '@nestjs/common';
import type { ClientRequest, RequestOptions } from 'node:http';
import { DomainException } from './domain.exception.js';

/** Default bound of every outgoing call to an identity provider (`OIDC_HTTP_TIMEOUT_MS`). */
export const DEFAULT_OUTGOING_TIMEOUT_MS = 10_000;

/** Which call to the provider failed, in words a person can act on. */
export type ProviderCall = 'discovery' | 'jwks' | 'token' | 'userinfo' | 'end-session' | 'probe';

const CALL_NAMES: Record<ProviderCall, string> = {
  discovery: 'its discovery document',
  jwks: 'its signing keys (JWKS)',
  token: 'the token request',
  userinfo: 'the user info request',
  'end-session': 'the sign-out request',
  probe: 'the test request',
};

/**
 * An outgoing call to an identity provider that did not give a usable answer: it timed out
 * (`timeout`) or could not be made (`unreachable`). Distinct from a provider that answered "no".
 */
export class ProviderCallError extends Error {
  constructor(
    readonly call: ProviderCall,
    readonly kind: 'timeout' | 'unreachable',
    detail: string,
  ) {
    super(`${call} ${kind === 'timeout' ? 'timed out' : 'failed'}: ${detail}`);
    this.name = 'ProviderCallError';
  }
}

/**
 * A fetch that gives up after `timeoutMs`; the abort also closes the socket. Not for identity
 * provider URLs: those go through ProviderHttp, which checks where they resolve.
 */
export async function fetchWithTimeout(call: ProviderCall, url: string | URL, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw asProviderCallError(call, error, timeoutMs);
  }
}

/** Maps what fetch or jose throws on a dead or slow provider to a ProviderCallError. */
export function asProviderCallError(call: ProviderCall, error: unknown, timeoutMs: number): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const name = (error as { name?: string; code?: string })?.name;
  const code = (error as { code?: string })?.code;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ERR_JWKS_TIMEOUT') {
    return new ProviderCallError(call, 'timeout', `no answer within ${timeoutMs} ms`);
  }
  const cause = (error as { cause?: { code?: string; message?: string; name?: string } })?.cause;
  // An address refusal says which host, address and setting: more than its code.
  const detail = cause?.name === 'AddressNotAllowedError' ? cause.message : cause?.code ?? cause?.message;
  return new ProviderCallError(call, 'unreachable', detail ?? (error as Error)?.message ?? String(error));
}

/** The readable 504 (no answer in time) or 502 (no usable answer) for a failed provider call. */
export function providerFailure(providerName: string, error: ProviderCallError): DomainException {
  const what = CALL_NAMES[error.call];
  const timeout = error.kind === 'timeout';
  return new DomainException(
    timeout ? 'provider_timeout' : 'provider_unreachable',
    timeout ? HttpStatus.GATEWAY_TIMEOUT : HttpStatus.BAD_GATEWAY,
    timeout
      ? `The identity provider ${providerName} did not answer ${what} in time, so nobody was signed in.`
      : `The identity provider ${providerName} could not be reached for ${what}, so nobody was signed in.`,
    {
      title: 'The identity provider did not answer',
      detail: 'Try again in a moment. If it keeps happening, tell the platform team.',
      logDetail: error.message,
    },
  );
}

type RequestCallback = (error: unknown, body?: string, response?: unknown) => void;
interface HttpLibrary {
  request(options: RequestOptions): ClientRequest;
}
interface NodeOAuth2Client {
  _executeRequest(library: HttpLibrary, options: RequestOptions, body: unknown, callback: RequestCallback): void;
}

/**
 * passport-openidconnect's `oauth` client (token and userinfo calls) has no timeout at all: a
 * provider that accepts the connection and never answers would hold the callback, and its socket,
 * forever. This bounds each of its requests as a whole (not only idle time), destroys the socket
 * when the time is up, and answers the library's callback once.
 */
export function boundOAuth2Client(client: unknown, timeoutMs: number): void {
  const oauth = client as NodeOAuth2Client;
  const execute = oauth._executeRequest.bind(oauth);
  oauth._executeRequest = (library, options, body, callback) => {
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const once: RequestCallback = (...args) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      callback(...args);
    };
    const bounded: HttpLibrary = {
      request: (requestOptions) => {
        const request = library.request(requestOptions);
        timer = setTimeout(() => {
          // The library makes two calls: the token request (POST) and userinfo (GET).
          const call: ProviderCall = requestOptions.method === 'POST' ? 'token' : 'userinfo';
          const error = new ProviderCallError(call, 'timeout', `no answer within ${timeoutMs} ms`);
          request.destroy(error);
          once(error);
        }, timeoutMs);
        return request;
      },
    };
    execute(bounded, options, body, once);
  };
}
