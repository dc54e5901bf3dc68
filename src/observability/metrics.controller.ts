import { Controller, Get, HttpStatus, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../auth/guards/bearer-token.js';
import { Public } from '../auth/decorators.js';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus scrape endpoint: the METRICS_TOKEN bearer when one is set, otherwise loopback callers only. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  @Public()
  @Get()
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.allowed(req)) {
      throw new DomainException('forbidden', HttpStatus.FORBIDDEN, this.config.metricsToken ? 'Send the metrics token as a Bearer token' : 'Metrics are served to loopback addresses only');
    }
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }

  private allowed(req: Request): boolean {
    const expected = this.config.metricsToken;
    if (expected) {
      const given = Buffer.from(bearerToken(req) ?? '');
      const wanted = Buffer.from(expected);
      // Constant time, so the response time does not tell how much of a guess was right.
      return given.length === wanted.length && timingSafeEqual(given, wanted);
    }
    // req.ip follows TRUST_PROXY: behind a trusted proxy it is the client's address, not the proxy's.
    const address = req.ip ?? '';
    return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
  }
}
