import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenOnLoopback, type LoopbackArrival, type LoopbackListener } from './loopback.js';
import {
  callApi,
  environmentOrigin,
  STUDIO_TITLES,
  StudioError,
  type EnvironmentInfo,
  type Handoff,
  type HandoffState,
  type StudioClient,
  type TokenResponse,
} from './studio-api.js';

export interface StudioLoginOptions {
  /** The environment URL as the person typed it. */
  environment: string;
  client?: StudioClient;
  /** Show or open the page where the browser logs in. It runs alongside the wait; if it fails, the login fails. */
  onBrowserUrl(url: string): void | Promise<void>;
  log?(line: string): void;
  signal?: AbortSignal;
  /** How often "Waiting for the browser…" is repeated; 5 s by default. */
  progressIntervalMs?: number;
}

export interface StudioLoginResult extends TokenResponse {
  environment: string;
  client: StudioClient;
  /** When the token stops working, from `expiresIn`. */
  expiresAt: string;
}

/**
 * What a Studio does on "Connect to Environment": check the environment, hand the login to the
 * browser with PKCE S256 and a loopback redirect URI, wait for the browser to come back through
 * the "Open … Studio" button, and redeem the one-time code with the verifier.
 */
export async function studioLogin(options: StudioLoginOptions): Promise<StudioLoginResult> {
  const log = options.log ?? (() => undefined);
  const client = options.client ?? 'service-studio';
  const title = STUDIO_TITLES[client];
  const environment = environmentOrigin(options.environment);
  const { signal } = options;

  const info = await callApi<EnvironmentInfo>(`${environment}/api/desktop/environment`, { signal });
  if (info.authentication.mode !== 'external-idp') throw new StudioError(`${info.name} does not sign in through an identity provider`);
  if (!info.authentication.ready) {
    throw new StudioError(`${info.name} cannot log you in right now: ${info.authentication.reasonMessage ?? info.authentication.reason ?? 'its identity provider is not ready'}`);
  }
  log(`Environment ${info.name} signs in through ${info.authentication.provider.displayName}.`);

  // RFC 7636: 32 random bytes make a 43-character verifier; only its SHA-256 leaves this process now.
  const codeVerifier = randomBytes(32).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
  const listener = await listenOnLoopback(title);
  try {
    const handoff = await callApi<Handoff>(`${environment}/api/desktop/handoffs`, {
      method: 'POST',
      body: { client, codeChallenge, codeChallengeMethod: 'S256', redirectUri: listener.redirectUri },
      signal,
    });
    listener.expect(handoff.id);
    log(handoff.message);
    // Started at once, so what it prints comes before the first progress line; never awaited, so a
    // caller that drives the browser through to the loopback page does not block the wait for it.
    const browserFailed = new Promise<never>((_resolve, reject) => {
      try {
        Promise.resolve(options.onBrowserUrl(handoff.browserUrl)).catch(reject);
      } catch (error) {
        reject(error);
      }
    });
    browserFailed.catch(() => undefined);

    const arrival = await waitForBrowser({ handoff, listener, browserFailed, log, signal, progressIntervalMs: options.progressIntervalMs ?? 5_000 });
    return await redeem({ environment, client, handoff, arrival, codeVerifier, signal });
  } catch (error) {
    if (signal?.aborted) throw new StudioError('Login cancelled.');
    throw error;
  } finally {
    await listener.close();
  }
}

async function redeem(input: {
  environment: string;
  client: StudioClient;
  handoff: Handoff;
  arrival: LoopbackArrival;
  codeVerifier: string;
  signal?: AbortSignal;
}): Promise<StudioLoginResult> {
  const title = STUDIO_TITLES[input.client];
  let token: TokenResponse;
  try {
    token = await callApi<TokenResponse>(`${input.environment}/api/desktop/handoffs/${encodeURIComponent(input.handoff.id)}/token`, {
      method: 'POST',
      body: { code: input.arrival.code, codeVerifier: input.codeVerifier },
      signal: input.signal,
    });
  } catch (error) {
    input.arrival.respond({ ok: false, message: `${title} could not complete the login: ${(error as Error).message}. Start the login again from ${title}.` });
    throw error;
  }
  input.arrival.respond({
    ok: true,
    message: `You are logged in to ${title} as ${token.user.displayName} (${token.user.email}). You can close this window and return to ${title}.`,
  });
  return { ...token, environment: input.environment, client: input.client, expiresAt: new Date(Date.now() + token.expiresIn * 1000).toISOString() };
}

/** Until the browser comes back: polls the status (cancelled? expired?) and says how long is left. */
async function waitForBrowser(input: {
  handoff: Handoff;
  listener: LoopbackListener;
  browserFailed: Promise<never>;
  log(line: string): void;
  signal?: AbortSignal;
  progressIntervalMs: number;
}): Promise<LoopbackArrival> {
  const { handoff, signal } = input;
  const deadline = Date.parse(handoff.expiresAt);
  const pollMs = Math.max(1, handoff.interval) * 1000;
  let nextProgress = Date.now();
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw expired();
    if (Date.now() >= nextProgress) {
      input.log(`Waiting for the browser… (${clock(left)} left)`);
      nextProgress = Date.now() + input.progressIntervalMs;
    }
    // Unreferenced, so a finished login never waits for the last pause to run out.
    const pause = sleep(Math.min(pollMs, left), undefined, { signal, ref: false });
    const outcome = await Promise.race([input.listener.arrival, input.browserFailed, pause]);
    if (outcome) return outcome;
    const state = await callApi<HandoffState>(handoff.statusUrl, { signal }).catch((error: unknown) => {
      if (signal?.aborted) throw error;
      return undefined;
    });
    if (state?.status === 'denied') throw denied(state);
    if (state?.status === 'expired') throw expired();
    if (state?.status === 'redeemed') throw new StudioError('This login was completed by another client. Start the login again.');
  }
}

/** Stops at once with the reason the browser side gave (a refused account, too many wrong codes, Cancel). */
function denied(state: HandoffState): StudioError {
  if (state.reason && state.reason !== 'cancelled' && state.reasonMessage) return new StudioError(`The login was refused in the browser. ${state.reasonMessage}`);
  return new StudioError('The login was cancelled in the browser.');
}

function expired(): StudioError {
  return new StudioError('The login expired before the browser completed it. Start the login again.');
}

function clock(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}
