import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { databaseFailure } from '../database/database-errors.js';
import { DomainException, LoginRequiredException } from './domain.exception.js';
import { html, page, type Html } from './html.js';

/** The one error shape under /api (CONTRACT.md, "Errors and limits"). `statusCode` is an extra kept for older clients. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: string[];
}

interface Described {
  status: number;
  body: ErrorBody;
  title: string;
  detail?: string;
  logDetail?: string;
  retryAfterSeconds?: number;
}

/** Stable codes for the framework's own HTTP errors, so clients never have to parse a sentence. */
const CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** One place that maps every error to HTTP: JSON under /api, a readable page elsewhere. */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(AppExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    if (res.headersSent) return;

    if (exception instanceof LoginRequiredException) {
      res.redirect(302, `/auth/login?returnTo=${encodeURIComponent(exception.returnTo)}`);
      return;
    }

    const described = describeError(exception);
    const { status, body, title, detail } = described;
    const actions = exception instanceof DomainException ? exception.options.actions : undefined;
    const line = `req=${req.id} ${req.method} ${req.path} -> ${status} ${body.error}: ${body.message}${body.details ? ` (${body.details.join('; ')})` : ''}`;
    if (status < 500 || exception instanceof DomainException || described.logDetail) {
      // A client error or a known failure: one line, never a stack trace.
      this.logger.warn(described.logDetail ? `${line} (${described.logDetail})` : line);
    } else {
      this.logger.error(line, exception instanceof Error ? exception.stack : undefined);
    }

    if (status === HttpStatus.UNAUTHORIZED && req.path.startsWith('/api/')) res.setHeader('WWW-Authenticate', 'Bearer');
    if (described.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(described.retryAfterSeconds));
    // An error page may name the account; it is never worth caching.
    res.setHeader('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      res.status(status).json(body);
      return;
    }
    res
      .status(status)
      .type('html')
      .send(
        page({
          title,
          body: html`<h1>${title}</h1>
            <div class="error"><p>${body.message}</p>${body.details ? html`<ul>${body.details.map((d) => html`<li>${d}</li>`)}</ul>` : ''}</div>
            ${detail ? html`<p class="muted">${detail}</p>` : ''}
            ${actions ?? ''}
            <p><a href="/">Back to the start page</a></p>
            ${errorReference(body.error, req.id)}`,
        }),
      );
  }
}

export function describeError(exception: unknown): Described {
  if (exception instanceof DomainException) {
    return {
      status: exception.status,
      body: { statusCode: exception.status, error: exception.code, message: exception.message, ...(exception.options.details ? { details: exception.options.details } : {}) },
      title: exception.options.title ?? exception.message,
      detail: exception.options.detail,
      logDetail: exception.options.logDetail,
      retryAfterSeconds: exception.options.retryAfterSeconds,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const raw = typeof response === 'object' && response !== null && 'message' in response ? (response as { message: unknown }).message : exception.message;
    // ValidationPipe answers with a list of messages: one sentence, the list as details.
    const details = Array.isArray(raw) ? raw.map(String) : undefined;
    const message = details ? 'The request is not valid.' : String(raw);
    return {
      status,
      body: { statusCode: status, error: CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request'), message, ...(details ? { details } : {}) },
      title: titleFor(status),
    };
  }
  const database = databaseFailure(exception);
  if (database) return describeError(database);
  const client = clientHttpError(exception);
  if (client) return client;
  return {
    status: 500,
    body: { statusCode: 500, error: 'internal_error', message: 'Something went wrong on our side.' },
    title: 'Something went wrong',
  };
}

/**
 * Errors of the body parsers and other Express middleware (`http-errors` objects with a 4xx
 * status): the client sent something wrong, so it gets that 4xx and no stack trace is logged.
 */
function clientHttpError(exception: unknown): Described | undefined {
  const error = exception as { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown; message?: unknown } | undefined;
  const status = Number(error?.status ?? error?.statusCode);
  if (!Number.isInteger(status) || status < 400 || status > 499) return undefined;
  const type = typeof error?.type === 'string' ? error.type : '';
  const message =
    type === 'entity.parse.failed'
      ? 'The request body is not valid JSON.'
      : type === 'entity.too.large'
        ? 'The request body is too large.'
        : error?.expose && typeof error.message === 'string'
          ? error.message
          : 'The request could not be read.';
  return { status, body: { statusCode: status, error: CODES[status] ?? 'bad_request', message }, title: titleFor(status), logDetail: type || undefined };
}

/**
 * The short code and the request id at the foot of every error page, as Okta's pages have them:
 * what a person reads out to support, who finds the log line (`req=<id>`) with it.
 */
export function errorReference(code: string, requestId: string | undefined): Html {
  return html`<p class="muted error-ref" id="error-ref">Error <code>${code}</code>${requestId ? html` · Request ID <code>${requestId}</code>` : ''}</p>`;
}

function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/readyz' || req.path === '/healthz' || req.accepts(['html', 'json']) === 'json';
}

function titleFor(status: number): string {
  if (status === 401) return 'Sign-in required';
  if (status === 403) return 'Access denied';
  if (status === 404) return 'Page not found';
  if (status === 413) return 'Request too large';
  if (status === 429) return 'Too many requests';
  return status >= 500 ? 'Something went wrong' : 'Bad request';
}
