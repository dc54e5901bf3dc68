import { Controller, Get, HttpStatus, Logger, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { IdentityProviderRegistry } from '../auth/providers/identity-provider.registry.js';

/** A readiness probe answers within this, whatever hangs behind it. */
const CHECK_TIMEOUT_MS = 3_000;

@ApiTags('health')
@Controller()
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly providers: IdentityProviderRegistry,
  ) {}

  @Public()
  @Get('healthz')
  @ApiOkResponse({ description: 'The process runs.' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Both checks run at once and each is bounded, so the probe answers within a few seconds even
   * when the database is frozen. The reason names what is wrong, never a host, port or address:
   * the endpoint is public. The full error goes to the log.
   */
  @Public()
  @Get('readyz')
  @ApiOkResponse({ description: 'The database answers and every identity provider has its metadata loaded.' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `reason` says why.' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; reason?: string }> {
    const checks = [
      bounded(this.dataSource.query('SELECT 1').then(() => undefined)).then(
        () => undefined,
        (error: Error) => {
          this.logger.warn(`readiness: database: ${error.message}`);
          return error instanceof CheckTimeout ? 'database: not answering' : 'database: not reachable';
        },
      ),
      ...this.providers.all().map((provider) =>
        bounded(provider.status()).then(
          (status) => (status.ready ? undefined : `identity provider ${provider.id}: ${publicReason(status.reason)}`),
          () => `identity provider ${provider.id}: not answering`,
        ),
      ),
    ];
    const problems = (await Promise.all(checks)).filter((problem): problem is string => problem !== undefined);
    res.setHeader('Cache-Control', 'no-store');
    if (problems.length === 0) return { status: 'ready' };
    res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'unavailable', reason: problems.join('; ') };
  }
}

class CheckTimeout extends Error {}

function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout('no answer in time')), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Keeps the kind of failure and drops network detail (addresses, ports, error codes with hosts). */
function publicReason(reason: string): string {
  if (/^provider unreachable/.test(reason)) return /timed out/.test(reason) ? 'provider not answering' : 'provider unreachable';
  return reason.replace(/https?:\/\/[^\s"]+/g, '<url>');
}
