import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '../auth/decorators.js';
import { ApiErrorDto } from '../common/api-error.dto.js';
import { AuditTrailService, type AuditEventView } from './audit-trail.service.js';
import { AUDIT_EVENT_TYPES } from './audit.types.js';

@ApiTags('admin')
@AdminApi()
@Controller('api/admin/audit')
export class AuditController {
  constructor(private readonly trail: AuditTrailService) {}

  @Get()
  @ApiOperation({ summary: 'Read the audit trail', description: 'Sign-ins, refusals, handoffs, tokens and admin changes, newest first, one page at a time.' })
  @ApiQuery({ name: 'type', required: false, enum: AUDIT_EVENT_TYPES })
  @ApiQuery({ name: 'userId', required: false, description: 'The user the events are about' })
  @ApiQuery({ name: 'actor', required: false, description: 'Who acted: an id, an email, or a SCIM token name' })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ description: '{"events": [...], "nextCursor": string|null}, newest first. No event holds a token, code, secret or cookie value.' })
  @ApiBadRequestResponse({ description: '`invalid_query`: an unknown type, a date that is not ISO 8601, a limit out of range or a bad cursor.', type: ApiErrorDto })
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
