import { setTimeout as sleep } from 'node:timers/promises';
import { callApi, environmentOrigin, StudioError, type DesktopUser } from './studio-api.js';

/** Clients that may use the device flow: the command-line tool, or a Studio on a machine without a browser. */
export type DeviceClient = 'cli' | 'service-studio' | 'integration-studio';

export interface DeviceLoginOptions {
  environment: string;
  client?: DeviceClient;
  log(line: string): void;
  signal?: AbortSignal;
}

export interface DeviceLoginResult {
  environment: string;
  client: DeviceClient;
  accessToken: string;
  expiresAt: string;
  refreshToken?: string;
  user: DesktopUser;
}

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const REQUEST_TIMEOUT_MS = 15_000;

interface DeviceCode {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

/**
 * `studio login --device` (RFC 8628): prints the code and where to type it, then polls politely
 * (every `interval` seconds, 5 more after each `slow_down`) until the person allows or denies.
 */
export async function deviceLogin(options: DeviceLoginOptions): Promise<DeviceLoginResult> {
  const environment = environmentOrigin(options.environment);
  const client = options.client ?? 'cli';
  const { signal } = options;
  const metadata = await callApi<{ device_authorization_endpoint: string; token_endpoint: string }>(`${environment}/.well-known/oauth-authorization-server`, { signal });
  const code = await form<DeviceCode>(metadata.device_authorization_endpoint, { client_id: client }, signal);
  options.log(`To sign in, open ${code.verification_uri} in a browser and enter the code ${code.user_code}`);
  if (code.verification_uri_complete) options.log(`  or open ${code.verification_uri_complete}`);

  let interval = code.interval ?? 5;
  const deadline = Date.now() + code.expires_in * 1000;
  while (Date.now() < deadline) {
    await sleep(interval * 1000, undefined, { signal });
    const answer = await tokenRequest(metadata.token_endpoint, { grant_type: DEVICE_CODE_GRANT, device_code: code.device_code, client_id: client }, signal);
    if ('access_token' in answer) {
      const user = await callApi<DesktopUser>(`${environment}/api/desktop/me`, { token: answer.access_token, signal });
      return {
        environment,
        client,
        accessToken: answer.access_token,
        expiresAt: new Date(Date.now() + answer.expires_in * 1000).toISOString(),
        refreshToken: answer.refresh_token,
        user,
      };
    }
    switch (answer.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        interval += 5;
        continue;
      case 'access_denied':
        throw new StudioError('The sign-in was denied in the browser.');
      case 'expired_token':
        throw new StudioError('The code expired before it was used; start again.');
      default:
        throw new StudioError(`The sign-in failed: ${answer.error_description ?? answer.error}`);
    }
  }
  throw new StudioError('The code expired before it was used; start again.');
}

type TokenAnswer = { access_token: string; expires_in: number; refresh_token?: string } | { error: string; error_description?: string };

async function tokenRequest(url: string, fields: Record<string, string>, signal?: AbortSignal): Promise<TokenAnswer> {
  const response = await post(url, fields, signal);
  const body = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as TokenAnswer;
  if (response.ok && !('access_token' in body)) throw new StudioError(`${url} answered without a token`);
  return body;
}

async function form<T>(url: string, fields: Record<string, string>, signal?: AbortSignal): Promise<T> {
  const response = await post(url, fields, signal);
  const body = (await response.json().catch(() => undefined)) as (T & { error?: string; error_description?: string }) | undefined;
  if (!response.ok || !body) throw new StudioError(`${body?.error_description ?? 'The environment refused the device sign-in'} (HTTP ${response.status}${body?.error ? `, ${body.error}` : ''})`);
  return body;
}

async function post(url: string, fields: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  try {
    return await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(fields),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: 'error',
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new StudioError(`Cannot reach ${new URL(url).origin}: ${(error as Error).message}`);
  }
}
