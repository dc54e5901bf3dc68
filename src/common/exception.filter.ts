import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainException, LoginRequiredException } from './domain.exception.js';
import { html, page } from './html.js';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

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

    const { status, body, title, detail } = this.describe(exception);
    const actions = exception instanceof DomainException ? exception.options.actions : undefined;
    const line = `req=${req.id} ${req.method} ${req.path} -> ${status} ${body.error}: ${[body.message].flat().join('; ')}`;
    if (exception instanceof DomainException || status < 500) {
      const logDetail = exception instanceof DomainException ? exception.options.logDetail : undefined;
      this.logger.warn(logDetail ? `${line} (${logDetail})` : line);
    } else {
      this.logger.error(line, exception instanceof Error ? exception.stack : undefined);
    }

    if (status === HttpStatus.UNAUTHORIZED && req.path.startsWith('/api/')) {
      res.setHeader('WWW-Authenticate', 'Bearer');
    }
    if (wantsJson(req)) {
      res.status(status).json(body);
      return;
    }
    const messages = [body.message].flat();
    res
      .status(status)
      .type('html')
      .send(
        page({
          title,
          body: html`<h1>${title}</h1>
            <div class="error">${messages.map((m) => html`<p>${m}</p>`)}</div>
            ${detail ? html`<p class="muted">${detail}</p>` : ''}
            ${actions ?? ''}
            <p><a href="/">Back to the start page</a></p>`,
        }),
      );
  }

  private describe(exception: unknown): { status: number; body: ErrorBody; title: string; detail?: string } {
    if (exception instanceof DomainException) {
      return {
        status: exception.status,
        body: { statusCode: exception.status, error: exception.code, message: exception.message },
        title: exception.options.title ?? exception.message,
        detail: exception.options.detail,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? (response as { message: string | string[] }).message
          : exception.message;
      const error = typeof response === 'object' && response !== null && 'error' in response ? String((response as { error: unknown }).error) : exception.name;
      return { status, body: { statusCode: status, error, message }, title: titleFor(status) };
    }
    return {
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Something went wrong on our side' },
      title: 'Something went wrong',
    };
  }
}

function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/readyz' || req.path === '/healthz' || req.accepts(['html', 'json']) === 'json';
}

function titleFor(status: number): string {
  if (status === 401) return 'Sign-in required';
  if (status === 403) return 'Access denied';
  if (status === 404) return 'Page not found';
  if (status === 413) return 'Request too large';
  return status >= 500 ? 'Something went wrong' : 'Bad request';
}
