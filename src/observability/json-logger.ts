import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { currentRequest } from './request-context.js';

export type LogLevelName = 'error' | 'warn' | 'log' | 'debug';

const PINO_LEVEL: Record<LogLevelName, string> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug' };

/**
 * Nest's own start-up lines (a line per module and per route, about 110 of them) say nothing an
 * operator acts on and bury the banner: they are written at debug level (LOG_LEVEL=debug shows them).
 */
const FRAMEWORK_STARTUP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * Nest's logger, written as JSON lines by pino. Every line made while a request is handled carries
 * its request id, read from the async request context rather than passed by hand.
 */
export class JsonLogger implements LoggerService {
  readonly pino: PinoLogger;

  constructor(level: LogLevelName, destination?: DestinationStream) {
    this.pino = pino(
      {
        level: PINO_LEVEL[level],
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => {
          const request = currentRequest();
          return request ? { requestId: request.requestId } : {};
        },
      },
      destination ?? pino.destination({ sync: true }),
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write(FRAMEWORK_STARTUP_CONTEXTS.has(contextOf(rest) ?? '') ? 'debug' : 'info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack, context) for errors.
    const [stack, context] = rest.length >= 2 ? rest : [undefined, rest[0]];
    this.pino.error({ context: typeof context === 'string' ? context : undefined, ...(typeof stack === 'string' ? { stack } : {}) }, text(message));
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /**
   * One line per request once it is answered. The path only, never the query string: callback and
   * redirect URLs carry one-time codes and state there.
   */
  requestLine = (req: Request, res: Response, next: NextFunction): void => {
    // Below the level that writes these lines, a request costs nothing here.
    if (!this.pino.isLevelEnabled('info')) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      this.pino.info(
        {
          context: 'HTTP',
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        },
        'request',
      );
    });
    next();
  };

  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    this.pino[level]({ context: contextOf(rest) }, text(message));
  }
}

/** Nest passes the logging class's name last. */
function contextOf(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}

function text(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  return JSON.stringify(message);
}
