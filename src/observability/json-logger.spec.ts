import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonLogger, type LogLevelName } from './json-logger.js';

function loggerAt(level: LogLevelName): { logger: JsonLogger; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  const logger = new JsonLogger(level, destination as unknown as import('pino').DestinationStream);
  return { logger, lines: () => written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('JsonLogger', () => {
  it.each([
    ['Starting Nest application...', 'NestFactory'],
    ['AuthModule dependencies initialized', 'InstanceLoader'],
    ['AuthController {/auth}:', 'RoutesResolver'],
    ['Mapped {/auth/login, GET} route', 'RouterExplorer'],
    ['Nest application successfully started', 'NestApplication'],
  ])('writes Nest\'s start-up line "%s" (%s) at debug level only', (message, context) => {
    const quiet = loggerAt('log');
    quiet.logger.log(message, context);
    expect(quiet.lines()).toEqual([]);

    const verbose = loggerAt('debug');
    verbose.logger.log(message, context);
    expect(verbose.lines()).toEqual([expect.objectContaining({ level: 'debug', context, msg: message })]);
  });

  it("keeps the service's own lines, and Nest's warnings, at their level", () => {
    const { logger, lines } = loggerAt('log');
    logger.log('Discovery loaded from http://localhost:3001/.well-known/openid-configuration', 'OidcIdentityProvider:default');
    logger.warn('Something to look at', 'RouterExplorer');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', context: 'OidcIdentityProvider:default' }),
      expect.objectContaining({ level: 'warn', context: 'RouterExplorer', msg: 'Something to look at' }),
    ]);
  });
});
