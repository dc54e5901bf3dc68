import { CanActivate, ExecutionContext, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { RateLimitBucket } from './rate-limit.buckets.js';
import { RateLimitService } from './rate-limit.service.js';

const RATE_LIMIT_METADATA = 'frontdoor:rate-limit';

/** Counts each request to the route against `bucket`, keyed by the client's address (as TRUST_PROXY resolves it). */
export const RateLimited = (bucket: RateLimitBucket) => applyDecorators(SetMetadata(RATE_LIMIT_METADATA, bucket), UseGuards(RateLimitGuard));

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const bucket = this.reflector.get<RateLimitBucket | undefined>(RATE_LIMIT_METADATA, context.getHandler());
    if (!bucket) return true;
    const req = context.switchToHttp().getRequest<Request>();
    await this.limits.consume(bucket, req.ip ?? 'unknown');
    return true;
  }
}
