import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOkResponse, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminApi } from '../auth/decorators.js';
import { AuditTrailService, type AuditEventView } from './audit-trail.service.js';
import { AUDIT_EVENT_TYPES } from './audit.types.js';

@ApiTags('admin')
@AdminApi()
@ApiUnauthorizedResponse({ description: 'No admin API token and no signed-in session.' })
@ApiForbiddenResponse({ description: 'Signed in, but not an admin.' })
@Controller('api/admin/audit')
export class AuditController {
  constructor(private readonly trail: AuditTrailService) {}

  @Get()
  @ApiQuery({ name: 'type', required: false, enum: AUDIT_EVENT_TYPES })
  @ApiQuery({ name: 'userId', required: false, description: 'The user the events are about' })
  @ApiQuery({ name: 'actor', required: false, description: 'Who acted: an id, an email, or a SCIM token name' })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ description: '{"events": [...], "nextCursor": string|null}, newest first. No event holds a token, code, secret or cookie value.' })
  @ApiBadRequestResponse({ description: 'invalid_query' })
  list(
    @Query('type') type?: string,
    @Query('userId') userId?: string,
    @Query('actor') actor?: string,
    @Query('since') since?: string,
    @Query('until') until?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
    return this.trail.list({ type, userId, actor, since, until, limit, cursor });
  }
}
