/** The environment's desktop API as a Studio sees it (CONTRACT.md, "Desktop handoff"). Node built-ins and fetch only. */
export type StudioClient = 'service-studio' | 'integration-studio';

export const STUDIO_TITLES: Readonly<Record<StudioClient, string>> = {
  'service-studio': 'Service Studio',
  'integration-studio': 'Integration Studio',
};

export interface EnvironmentInfo {
  name: string;
  authentication: { mode: string; ready: boolean; reason?: string; reasonMessage?: string; provider: { id: string; displayName: string } };
}

export interface Handoff {
  id: string;
  browserUrl: string;
  statusUrl: string;
  expiresAt: string;
  interval: number;
  message: string;
}

export interface HandoffState {
  id: string;
  client: StudioClient;
  status: 'pending' | 'authenticated' | 'redeemed' | 'expired' | 'denied';
  expiresAt: string;
  /** With `denied`: why (`cancelled`, `not_registered`, `login_refused`, `too_many_attempts`), and in words. */
  reason?: string;
  reasonMessage?: string;
}

export interface DesktopUser {
  id: string;
  email: string;
  displayName: string;
}

export interface TokenResponse {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  /** Absent from environments without refreshable tokens; then the client logs in again at expiry. */
  refreshToken?: string;
  refreshExpiresIn?: number;
  user: DesktopUser;
}

/** A failure worth one line to the person: what went wrong, with the service's own error code when there is one. */
export class StudioError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

export function isStudioClient(value: unknown): value is StudioClient {
  return typeof value === 'string' && Object.hasOwn(STUDIO_TITLES, value);
}

/** What a person types as "environment URL": `dev.example.com` means https (http on this machine); the origin is what counts. */
export function environmentOrigin(input: string): string {
  const trimmed = input.trim();
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/i.test(trimmed);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `${local ? 'http' : 'https'}://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new StudioError(`"${input}" is not an environment URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new StudioError(`"${input}" is not an http(s) environment URL`);
  return url.origin;
}

export async function callApi<T>(url: string, options: { method?: string; body?: unknown; token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      // A bearer token is never sent on to wherever a redirect points.
      redirect: 'error',
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new StudioError(`Cannot reach ${new URL(url).origin}: ${(error as Error).message}`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json = parseJson(text);
  if (!response.ok) {
    const problem = (json ?? {}) as { error?: unknown; message?: unknown };
    const message = [problem.message].flat().filter(Boolean).join('; ') || response.statusText;
    const code = typeof problem.error === 'string' ? problem.error : undefined;
    throw new StudioError(`${message} (HTTP ${response.status}${code ? `, ${code}` : ''})`, response.status, code);
  }
  if (json === undefined) throw new StudioError(`${url} did not answer with JSON`);
  return json as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
