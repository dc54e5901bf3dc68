import { Controller, Get, HttpStatus, Logger, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { ProviderHealthService } from '../identity-providers/provider-health.service.js';

/** The database check gives up after this, whatever hangs behind it. */
const DATABASE_CHECK_MS = 3_000;
/** A safety net only: the providers' readiness bounds its own wait for a first Test (5 s). */
const PROVIDER_CHECK_MS = 6_000;

@ApiTags('health')
@Controller()
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly providers: ProviderHealthService,
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
  @ApiOkResponse({ description: 'The database answers and an enabled identity provider passes its Test (discovery, issuer, endpoints, JWKS, client credentials).' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `reason` says why.' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; reason?: string }> {
    const [database, providers] = await Promise.all([
      bounded(this.dataSource.query('SELECT 1').then(() => undefined), DATABASE_CHECK_MS).then(
        () => undefined,
        (error: Error) => {
          this.logger.warn(`readiness: database: ${error.message}`);
          return error instanceof CheckTimeout ? 'database: not answering' : 'database: not reachable';
        },
      ),
      // The providers' cached Test results: a rejected client secret makes the service unready.
      bounded(this.providers.readiness(), PROVIDER_CHECK_MS).then(
        (readiness) => (!readiness.ready && readiness.reason ? publicReason(readiness.reason) : undefined),
        () => 'identity providers: not answering',
      ),
    ]);
    const problems = [database, providers].filter((problem): problem is string => problem !== undefined);
    res.setHeader('Cache-Control', 'no-store');
    if (problems.length === 0) return { status: 'ready' };
    res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'unavailable', reason: problems.join('; ') };
  }
}

class CheckTimeout extends Error {}

function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout('no answer in time')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Drops network detail (URLs, addresses and ports) from a reason shown to anyone. */
function publicReason(reason: string): string {
  return reason
    .replace(/https?:\/\/[^\s"]+/g, '<url>')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '<address>')
    .replace(/\[[0-9a-f:]+\](:\d+)?/gi, '<address>');
}
