import { HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';

/**
 * SQLSTATE classes meaning "the database is not there right now", not "this query is wrong":
 * 08 connection exception, 53 insufficient resources, 57 operator intervention (statement
 * timeout 57014, shutdown 57P01-57P03).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57)/;

/** What the pg driver says when it cannot reach or hear from the server (no SQLSTATE then). */
const UNAVAILABLE_MESSAGE =
  /Query read timeout|timeout exceeded when trying to connect|Connection terminated|connection error|not queryable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE|the database system is (starting up|shutting down)/i;

/**
 * The readable 503 for an error that means the database cannot be used right now (stopped,
 * frozen, restarting), or undefined for any other error. Looks through TypeORM's
 * QueryFailedError to the driver error it wraps.
 */
export function databaseFailure(error: unknown): DomainException | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  return new DomainException('database_unavailable', HttpStatus.SERVICE_UNAVAILABLE, 'The service cannot reach its database right now.', {
    title: 'Temporarily unavailable',
    detail: 'Nothing was changed. Try again in a moment.',
    logDetail: `database: ${describe(error)}`,
    retryAfterSeconds: 5,
  });
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error as Record<string, unknown> | undefined, depth = 0; current && depth < 4; depth++) {
    const code = typeof current.code === 'string' ? current.code : undefined;
    // A server error (it has a severity) carries a SQLSTATE; a socket error carries a Node code.
    if (code && typeof current.severity === 'string') return UNAVAILABLE_SQLSTATE.test(code);
    if (typeof current.message === 'string' && UNAVAILABLE_MESSAGE.test(current.message)) return true;
    if (code && UNAVAILABLE_MESSAGE.test(code)) return true;
    current = (current.driverError ?? current.cause) as Record<string, unknown> | undefined;
  }
  return false;
}

/** The driver's message only: never the query or its parameters (they may hold hashes or ids). */
function describe(error: unknown): string {
  const driver = (error as { driverError?: { message?: string; code?: string } })?.driverError;
  const source = driver ?? (error as { message?: string; code?: string });
  return [source?.code, source?.message].filter(Boolean).join(' ');
}
