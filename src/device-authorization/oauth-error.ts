import { HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';

/** RFC 6749 §5.2 and RFC 8628 §3.5 error codes, the only ones the token endpoints answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token';

/** An OAuth error answer: `400 {"error", "error_description"}`, as generic OAuth clients expect it. */
export class OAuthException extends DomainException {
  constructor(
    readonly error: OAuthErrorCode,
    description: string,
  ) {
    super(error, HttpStatus.BAD_REQUEST, description);
  }
}
