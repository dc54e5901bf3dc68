import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { databaseFailure, isDatabaseUnavailable } from './database-errors.js';

function serverError(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

describe('isDatabaseUnavailable', () => {
  it('recognises a database that is down, frozen or restarting', () => {
    expect(isDatabaseUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], serverError('57014', 'canceling statement due to statement timeout')))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], serverError('57P01')))).toBe(true);
  });

  it('leaves query errors alone: they are bugs or conflicts, not an outage', () => {
    expect(isDatabaseUnavailable(new QueryFailedError('INSERT', [], serverError('23505', 'duplicate key')))).toBe(false);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT', [], serverError('42P01', 'relation does not exist')))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe('databaseFailure', () => {
  it('is a 503 with Retry-After that shows no address', () => {
    const failure = databaseFailure(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }))!;
    expect(failure.status).toBe(503);
    expect(failure.code).toBe('database_unavailable');
    expect(failure.options.retryAfterSeconds).toBeGreaterThan(0);
    expect(`${failure.message} ${failure.options.title} ${failure.options.detail}`).not.toContain('10.0.0.5');
  });
});
