import { HttpStatus } from '@nestjs/common';
import type { Html } from './html.js';

/**
 * An error with a stable code that the exception filter turns into a JSON error (API routes)
 * or a readable page (browser routes). `detail` is safe to show; `logDetail` is for the log only.
 */
export class DomainException extends Error {
  constructor(
    readonly code: string,
    readonly status: HttpStatus,
    message: string,
    readonly options: { title?: string; detail?: string; logDetail?: string; actions?: Html } = {},
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
