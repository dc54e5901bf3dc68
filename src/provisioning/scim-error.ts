import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { describeError } from '../common/exception.filter.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 §3.12's scimType values this service answers with. */
export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

/** A refusal in SCIM's own terms: the status, a sentence for the directory's log, and its scimType. */
export class ScimException extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
  }
}

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  detail: string;
  scimType?: ScimType;
}

/**
 * Any error as RFC 7644 §3.12's error response. The app's own refusals (DomainException, body
 * parser errors, rate limits) keep their status and sentence; a unique violation is `uniqueness`,
 * a body the parser refused is `invalidSyntax`.
 */
export function scimErrorOf(exception: unknown): { body: ScimErrorBody; retryAfterSeconds?: number; logDetail?: string } {
  if (exception instanceof ScimException) return { body: errorBody(exception.status, exception.detail, exception.scimType) };
  const described = describeError(exception);
  const { status, body } = described;
  const scimType: ScimType | undefined =
    body.error === 'user_exists' || body.error === 'group_exists' ? 'uniqueness' : status === 400 && described.logDetail?.startsWith('entity.') ? 'invalidSyntax' : status === 400 && body.error === 'invalid_email' ? 'invalidValue' : undefined;
  return { body: errorBody(status, body.details ? `${body.message} ${body.details.join('; ')}` : body.message, scimType), retryAfterSeconds: described.retryAfterSeconds, logDetail: described.logDetail };
}

function errorBody(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(status), detail, ...(scimType ? { scimType } : {}) };
}

const logger = new Logger('Scim');

function send(exception: unknown, req: Request, res: Response): void {
  const { body, retryAfterSeconds, logDetail } = scimErrorOf(exception);
  const status = Number(body.status);
  const line = `req=${req.id} ${req.method} ${req.path} -> ${status}${body.scimType ? ` ${body.scimType}` : ''}: ${body.detail}${logDetail ? ` (${logDetail})` : ''}`;
  // A refusal of our own (501 for Bulk, say) is one line; only the unforeseen gets a stack trace.
  if (status >= 500 && !(exception instanceof ScimException)) logger.error(line, exception instanceof Error ? exception.stack : undefined);
  else logger.warn(line);
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Scoped to the SCIM controllers: every error there is a SCIM error response. */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    if (res.headersSent) return;
    send(exception, ctx.getRequest<Request>(), res);
  }
}

/** Express error middleware under /scim/v2: bodies the parsers refused (malformed, too large, too deep) get a SCIM error too. */
export function scimBodyErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  send(error, req, res);
}
