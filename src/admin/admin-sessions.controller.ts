import { Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Req } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminApi } from '../auth/decorators.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { UserSessionsDto } from './dto/sessions.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('admin')
@AdminApi()
@ApiUnauthorizedResponse({ description: 'No admin API token and no signed-in session.' })
@ApiForbiddenResponse({ description: 'Signed in, but not an admin (or a cross-origin session request).' })
@Controller('api/admin')
export class AdminSessionsController {
  constructor(private readonly sessions: AdminSessionsService) {}

  @Get('users/:id/sessions')
  @ApiOkResponse({ type: UserSessionsDto })
  @ApiNotFoundResponse()
  list(@Param('id', uuid) id: string): Promise<UserSessionsDto> {
    return this.sessions.list(id);
  }

  @Delete('users/:id/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Every console session and desktop token of the user ended; the next request with any of them is refused.' })
  @ApiNotFoundResponse()
  async endAll(@Param('id', uuid) id: string, @Req() req: Request): Promise<void> {
    await this.sessions.endAll(id, req.principal!.user);
  }

  @Delete('sessions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The console session ended.' })
  @ApiNotFoundResponse()
  async endSession(@Param('id', uuid) id: string, @Req() req: Request): Promise<void> {
    await this.sessions.endSession(id, req.principal!.user);
  }

  @Delete('desktop-tokens/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The desktop token and its refresh tokens ended.' })
  @ApiNotFoundResponse()
  async revokeDesktopToken(@Param('id', uuid) id: string, @Req() req: Request): Promise<void> {
    await this.sessions.revokeDesktopToken(id, req.principal!.user);
  }
}
