import type { User } from '../users/user.entity.js';

/** Who is calling, and how they proved it. */
export interface Principal {
  user: User;
  via: 'session' | 'api-token' | 'desktop-token';
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

declare module 'express-session' {
  interface SessionData {
    userId: string;
    providerId: string;
    /** Kept for the provider's logout (id_token_hint). */
    idToken: string;
    /** The provider's session id, when it sends one. */
    providerSid?: string;
    authenticatedAt: number;
    /** When the session was last used, to the minute: changing it is what re-sends the cookie and pushes the idle expiry. */
    lastSeenAt?: number;
    /** Where the sign-in came from, shown to admins in the session list. */
    ip?: string;
    userAgent?: string;
    /** Signed in with a local password instead of the identity provider. */
    breakGlass?: boolean;
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
