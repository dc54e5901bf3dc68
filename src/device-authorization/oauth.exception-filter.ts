import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppExceptionFilter } from '../common/exception.filter.js';
import { OAuthException } from './oauth-error.js';

/**
 * The OAuth endpoints answer every client error in RFC 6749 §5.2's shape, never an HTML page, so a
 * generic device-flow client understands it; server errors go the usual way.
 */
@Catch()
export class OAuthExceptionFilter extends AppExceptionFilter {
  private readonly oauthLogger = new Logger('OAuth');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const client = exception instanceof OAuthException ? exception : asOAuthError(exception);
    if (!client || res.headersSent) return super.catch(exception, host);
    // Waiting is the normal state of a poll: only real refusals are worth a warning.
    const level = client.error === 'authorization_pending' || client.error === 'slow_down' ? 'debug' : 'warn';
    this.oauthLogger[level](`req=${req.id} ${req.method} ${req.path} -> 400 ${client.error}: ${client.message}`);
    res.status(HttpStatus.BAD_REQUEST).setHeader('Cache-Control', 'no-store').json({ error: client.error, error_description: client.message });
  }
}

/** Malformed bodies (body-parser, validation) become `invalid_request`. */
function asOAuthError(exception: unknown): OAuthException | undefined {
  if (!(exception instanceof HttpException)) return undefined;
  const status = exception.getStatus();
  if (status < 400 || status >= 500 || status === HttpStatus.TOO_MANY_REQUESTS) return undefined;
  return new OAuthException('invalid_request', exception.message);
}
