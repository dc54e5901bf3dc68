import { HttpStatus } from '@nestjs/common';
import type { Html } from './html.js';

export interface DomainExceptionOptions {
  /** The page's heading (browser routes). */
  title?: string;
  /** A sentence shown under the message: what the person can do. */
  detail?: string;
  /** For the log line only; never shown. */
  logDetail?: string;
  /** A list of precise problems (validation), sent as `details` under /api. */
  details?: string[];
  /** Sent as `Retry-After` (rate limits, a database that is down). */
  retryAfterSeconds?: number;
  /** Links or forms shown under the message on the page (browser routes). */
  actions?: Html;
}

/**
 * An error with a stable code that the exception filter turns into a JSON error (API routes)
 * or a readable page (browser routes). `detail` is safe to show; `logDetail` is for the log only.
 */
export class DomainException extends Error {
  constructor(
    readonly code: string,
    readonly status: HttpStatus,
    message: string,
    readonly options: DomainExceptionOptions = {},
  ) {
    super(message);
  }
}

/** A browser without a session asked for a protected page: send it to the login. */
export class LoginRequiredException extends Error {
  constructor(readonly returnTo: string) {
    super('Login required');
  }
}
