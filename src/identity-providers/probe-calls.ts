/** The Test's outgoing calls (through ProviderHttp, bounded, never following a redirect) and what its steps share. */
import { addressRefusalOf, type ProviderHttp } from './provider-http.js';
import type { ProbeStepName, ProbeTarget } from './provider-probe.js';

/** Names the Test's requests in the provider's logs, apart from sign-ins. */
export const PROBE_USER_AGENT = 'identity-front-door-provider-test';

export class StepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type CheckResult = { code: string; message: string; warning?: true };

export interface ProbeContext {
  target: ProbeTarget;
  timeoutMs: number;
  http: ProviderHttp;
  metadata?: Record<string, unknown>;
}

export async function call(context: ProbeContext, url: string, init: { method?: string; headers: Record<string, string>; body?: URLSearchParams }, step: ProbeStepName): Promise<Response> {
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

export async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  const parsed: unknown = await response.json().catch(() => undefined);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}
