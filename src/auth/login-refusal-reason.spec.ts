import { HttpStatus } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { DomainException } from '../common/domain.exception.js';
import { refusalReason } from './login-refusals.js';

const refusal = (code: string, logDetail?: string) => new DomainException(code, HttpStatus.FORBIDDEN, 'refused', { logDetail });

describe('refusalReason', () => {
  it('keeps the refusal code when it is already precise', () => {
    expect(refusalReason(refusal('invalid_state', 'state missing, unknown or replayed'))).toBe('invalid_state');
    expect(refusalReason(refusal('access_denied'))).toBe('access_denied');
  });

  it('names the login rule for "not registered"', () => {
    expect(refusalReason(refusal('not_registered', 'subject-conflict'))).toBe('subject_conflict');
    expect(refusalReason(refusal('not_registered', 'inactive'))).toBe('inactive');
    expect(refusalReason(refusal('not_registered'))).toBe('not_registered');
  });

  it.each([
    ['ID token nonce does not match the request', 'nonce_mismatch'],
    ['ID token signature invalid', 'bad_signature'],
    ['ID token signed by an unknown key', 'bad_signature'],
    ['ID token not issued by expected OpenID provider.', 'bad_issuer'],
    ['ID token not intended for this relying party.', 'bad_audience'],
    ['ID token azp is not this client', 'bad_azp'],
    ['ID token expired', 'token_expired'],
    ['ID token iat is in the future', 'bad_iat'],
    ['something new', 'id_token_rejected'],
  ])('reads "%s" as %s', (detail, reason) => {
    expect(refusalReason(refusal('id_token_rejected', detail))).toBe(reason);
  });
});
