import { Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminApi } from '../auth/decorators.js';
import { ApiErrorDto } from '../common/api-error.dto.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { UserSessionsDto } from './dto/sessions.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });
const BAD_ID = { description: '`invalid_request`: the id is not a UUID.', type: ApiErrorDto };

@ApiTags('admin')
@AdminApi()
@Controller('api/admin')
export class AdminSessionsController {
  constructor(private readonly sessions: AdminSessionsService) {}

  @Get('users/:id/sessions')
  @ApiOperation({ summary: "List a user's console sessions and desktop tokens" })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The user id' })
  @ApiOkResponse({ type: UserSessionsDto })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse({ description: '`user_not_found`: no user with this id.', type: ApiErrorDto })
  list(@Param('id', uuid) id: string): Promise<UserSessionsDto> {
    return this.sessions.list(id);
  }

  @Delete('users/:id/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Revoke all of a user's sessions and desktop tokens",
    description: 'Signed out for real: the next request with any of them is refused on every instance, and the next sign-in must be a fresh authentication at the identity provider (prompt=login, max_age=0): the provider’s own session no longer lets the person straight back in.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The user id' })
  @ApiNoContentResponse({ description: 'Every console session and desktop token of the user ended; the next request with any of them is refused.' })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse({ description: '`user_not_found`: no user with this id.', type: ApiErrorDto })
  async endAll(@Param('id', uuid) id: string, @Req() req: Request): Promise<void> {
    await this.sessions.endAll(id, req.principal!.user);
  }

  @Delete('sessions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke one console session', description: 'Whoever uses it is signed out at once, and the next sign-in of its user must be a fresh authentication at the identity provider.' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The console session id (from GET /api/admin/users/{id}/sessions)' })
  @ApiNoContentResponse({ description: 'The console session ended.' })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse({ description: '`session_not_found`: no session with this id.', type: ApiErrorDto })
  async endSession(@Param('id', uuid) id: string, @Req() req: Request): Promise<void> {
    await this.sessions.endSession(id, req.principal!.user);
  }

  @Delete('desktop-tokens/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke one desktop token', description: 'The Studio or command-line tool that holds it must sign in again.' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The desktop token id (from GET /api/admin/users/{id}/sessions)' })
  @ApiNoContentResponse({ description: 'The desktop token and its refresh tokens ended.' })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse({ description: '`desktop_token_not_found`: no desktop token with this id.', type: ApiErrorDto })
  async revokeDesktopToken(@Param('id', uuid) id: string, @Req() req: Request): Promise<void> {
    await this.sessions.revokeDesktopToken(id, req.principal!.user);
  }
}
