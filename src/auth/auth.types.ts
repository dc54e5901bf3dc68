import type { User } from '../users/user.entity.js';

/** Who is calling, and how they proved it. */
export interface Principal {
  user: User;
  via: 'session' | 'api-token' | 'desktop-token';
  /** Signed in with a local break-glass password: LifeTime only. */
  breakGlass?: boolean;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

declare module 'express-session' {
  interface SessionData {
    userId: string;
    /** Unset for a break-glass session, which no provider vouched for. */
    providerId?: string;
    /** Kept for the provider's logout (id_token_hint). */
    idToken?: string;
    /** Signed in with a local break-glass password: opens LifeTime only, and ends at `endsAt`. */
    breakGlass?: boolean;
    /** A hard end (epoch ms) sooner than the absolute lifetime. */
    endsAt?: number;
    /** Where and with what the session was opened, for the user's page in LifeTime. */
    ip?: string;
    userAgent?: string;
    /** A one-time message for the next page (after a form's action). */
    flash?: { kind: 'success' | 'error'; text: string };
    /** The provider's session id, when it sends one. */
    providerSid?: string;
    authenticatedAt: number;
    /** When the session was last used, to the minute: changing it is what re-sends the cookie and pushes the idle expiry. */
    lastSeenAt?: number;
    /** The row's expiry when it was loaded (the store's own bookkeeping). */
    storedExpiresAt?: number;
    /** Pending authorization requests, per provider, by state handle. */
    oidc?: Record<string, Record<string, PendingAuthorization>>;
  }
}

export interface PendingAuthorization {
  nonce: string;
  codeVerifier?: string;
  returnTo: string;
  createdAt: number;
}
