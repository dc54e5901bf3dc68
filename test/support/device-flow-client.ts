/**
 * A generic OAuth 2.0 Device Authorization Grant client, written from RFC 8628 and RFC 8414 alone
 * (not from this service's code), to show that an off-the-shelf client works unchanged.
 */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface ServerMetadata {
  issuer: string;
  device_authorization_endpoint: string;
  token_endpoint: string;
}

export interface DeviceCodeResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

export type TokenOutcome = { ok: true; status: number; token: Record<string, unknown> } | { ok: false; status: number; error: string; body: Record<string, unknown> };

/** Every request of this client gives up after this long (tests stay bounded). */
const REQUEST_TIMEOUT_MS = 5_000;

/** RFC 8414 §3: the metadata lives at /.well-known/oauth-authorization-server under the issuer's origin. */
export async function discover(issuer: string): Promise<ServerMetadata> {
  const response = await fetch(new URL('/.well-known/oauth-authorization-server', issuer), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (response.status !== 200) throw new Error(`metadata: HTTP ${response.status}`);
  return (await response.json()) as ServerMetadata;
}

function form(endpoint: string, fields: Record<string, string>): Promise<Response> {
  return fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

/** RFC 8628 §3.1. */
export async function requestDeviceCode(metadata: ServerMetadata, clientId: string, scope?: string): Promise<DeviceCodeResponse> {
  const response = await form(metadata.device_authorization_endpoint, { client_id: clientId, ...(scope ? { scope } : {}) });
  const body = (await response.json()) as DeviceCodeResponse & { error?: string };
  if (response.status !== 200) throw new Error(`device authorization: HTTP ${response.status} ${body.error}`);
  return body;
}

/** RFC 8628 §3.4: one token request. */
export async function pollOnce(metadata: ServerMetadata, clientId: string, deviceCode: string): Promise<TokenOutcome> {
  const response = await form(metadata.token_endpoint, { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: clientId });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status === 200) return { ok: true, status: 200, token: body };
  return { ok: false, status: response.status, error: String(body.error), body };
}

/**
 * RFC 8628 §3.5: poll every `interval` seconds (5 when absent), add 5 seconds at each `slow_down`,
 * keep going on `authorization_pending`, stop on anything else or when the code expires.
 */
export async function pollUntilDone(
  metadata: ServerMetadata,
  clientId: string,
  code: DeviceCodeResponse,
  onPoll: (outcome: TokenOutcome, intervalSeconds: number) => void = () => {},
): Promise<TokenOutcome> {
  let interval = code.interval ?? 5;
  const deadline = Date.now() + code.expires_in * 1000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    const outcome = await pollOnce(metadata, clientId, code.device_code);
    onPoll(outcome, interval);
    if (outcome.ok) return outcome;
    if (outcome.error === 'slow_down') interval += 5;
    else if (outcome.error !== 'authorization_pending') return outcome;
    if (Date.now() > deadline) return outcome;
  }
}
