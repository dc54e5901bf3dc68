import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { PendingAuthorization } from '../auth.types.js';
import type { LoginStateCookie } from './login-state.cookie.js';

/** A browser may have a few logins in flight (several tabs); older ones are dropped past this. */
const MAX_PENDING = 5;
const PENDING_TTL_MS = 15 * 60 * 1000;
/**
 * Verifiers wait here only between the state check and the token request, which the library makes
 * right after it; an exchange that never happens must not leave them behind without bound.
 */
const MAX_VERIFIERS_IN_FLIGHT = 1000;

export interface LoginAppState {
  returnTo: string;
  codeVerifier?: string;
  /** The login asked the provider for a fresh authentication (after a revocation); when it was sent. */
  freshRequestedAt?: number;
}

type StoreCallback = (error: Error | null, handle?: string) => void;
type VerifyCallback = (error: Error | null, ctx: false | { nonce?: string }, state?: unknown) => void;

/**
 * passport-openidconnect's state store, kept in a sealed cookie (LoginStateCookie): nothing is
 * written to the database until the provider sends the browser back, and any instance can finish
 * a login another began. Unlike the stock store it also keeps the PKCE verifier, hands it to
 * the token request through `takeCodeVerifier`, and remembers the nonce for the ID token check.
 * Each state is used once: it is removed before it is compared.
 */
export class OidcStateStore {
  private readonly verifiersByCode = new Map<string, string>();

  constructor(
    private readonly providerId: string,
    private readonly cookie: LoginStateCookie,
  ) {}

  store(req: Request, ctx: { nonce?: string }, appState: LoginAppState, _meta: unknown, callback: StoreCallback): void {
    if (!ctx.nonce) return callback(new Error('nonce missing from the authorization request'));
    // 256 bits from the CSPRNG: the state must not be guessable.
    const handle = randomBytes(32).toString('base64url');
    const state = this.cookie.read(req);
    const pending = (state.logins[this.providerId] ??= {});
    pending[handle] = { nonce: ctx.nonce, codeVerifier: appState.codeVerifier, returnTo: appState.returnTo, createdAt: Date.now(), ...(appState.freshRequestedAt ? { freshRequestedAt: appState.freshRequestedAt } : {}) };
    prune(pending);
    this.cookie.write(req, state);
    callback(null, handle);
  }

  verify(req: Request, handle: unknown, callback: VerifyCallback): void {
    const state = this.cookie.read(req);
    const pending = state.logins[this.providerId] ?? {};
    const match = typeof handle === 'string' ? Object.keys(pending).find((key) => sameSecret(key, handle)) : undefined;
    const entry = match ? pending[match] : undefined;
    if (match) {
      delete pending[match];
      this.cookie.write(req, state);
    }
    if (!entry || Date.now() - entry.createdAt > PENDING_TTL_MS) {
      return callback(null, false, { reason: 'invalid-state', message: 'The sign-in request is unknown, already used or expired.' });
    }
    (req as Request & { oidcNonce?: string }).oidcNonce = entry.nonce;
    const code = req.query.code;
    if (entry.codeVerifier && typeof code === 'string') this.keepVerifier(code, entry.codeVerifier);
    callback(null, { nonce: entry.nonce }, { returnTo: entry.returnTo, ...(entry.freshRequestedAt ? { freshRequestedAt: entry.freshRequestedAt } : {}) } satisfies LoginAppState);
  }

  /** The verifier for the code being exchanged right now; taken once. */
  takeCodeVerifier(code: string): string | undefined {
    const verifier = this.verifiersByCode.get(code);
    this.verifiersByCode.delete(code);
    return verifier;
  }

  private keepVerifier(code: string, verifier: string): void {
    this.verifiersByCode.delete(code);
    this.verifiersByCode.set(code, verifier);
    // Oldest first: a Map iterates in insertion order.
    for (const stale of this.verifiersByCode.keys()) {
      if (this.verifiersByCode.size <= MAX_VERIFIERS_IN_FLIGHT) break;
      this.verifiersByCode.delete(stale);
    }
  }
}

/** Constant-time comparison, so response timing tells nothing about how much of a state matched. */
function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function prune(pending: Record<string, PendingAuthorization>): void {
  const handles = Object.keys(pending).sort((a, b) => pending[b].createdAt - pending[a].createdAt);
  for (const [index, handle] of handles.entries()) {
    if (index >= MAX_PENDING || Date.now() - pending[handle].createdAt > PENDING_TTL_MS) delete pending[handle];
  }
}
