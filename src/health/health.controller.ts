import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { IdentityProviderRegistry } from '../auth/providers/identity-provider.registry.js';

@ApiTags('health')
@Controller()
export class HealthController {
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

  @Public()
  @Get('readyz')
  @ApiOkResponse({ description: 'The database answers and every identity provider has its metadata loaded.' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `reason` says why.' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; reason?: string }> {
    const problems: string[] = [];
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      problems.push(`database: ${(error as Error).message}`);
    }
    for (const provider of this.providers.all()) {
      const status = await provider.status();
      if (!status.ready) problems.push(`identity provider ${provider.id}: ${status.reason}`);
    }
    if (problems.length === 0) return { status: 'ready' };
    res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'unavailable', reason: problems.join('; ') };
  }
}
