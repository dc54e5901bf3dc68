import type { User } from '../users/user.entity.js';
import type { ConsoleSession } from './session/console-session.js';

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
    /** The console session, on every route that can use one (see session.middleware.ts). */
    session: ConsoleSession;
  }
}

export interface PendingAuthorization {
  nonce: string;
  codeVerifier?: string;
  returnTo: string;
  createdAt: number;
  /** Set when the request asked for a fresh authentication (`prompt=login`, `max_age=0`): when it was sent. */
  freshRequestedAt?: number;
}
