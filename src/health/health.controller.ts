import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { ProviderHealthService } from '../identity-providers/provider-health.service.js';

@ApiTags('health')
@Controller()
export class HealthController {
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

  @Public()
  @Get('readyz')
  @ApiOkResponse({ description: 'The database answers and an enabled identity provider passes its Test (discovery, issuer, endpoints, JWKS, client credentials).' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `reason` says why.' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; reason?: string }> {
    const problems: string[] = [];
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      problems.push(`database: ${(error as Error).message}`);
    }
    // The providers' cached Test results: a rejected client secret makes the service unready.
    const providers = await this.providers.readiness();
    if (!providers.ready && providers.reason) problems.push(providers.reason);
    if (problems.length === 0) return { status: 'ready' };
    res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'unavailable', reason: problems.join('; ') };
  }
}
