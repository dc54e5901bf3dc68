import { Body, Controller, Get, Header, HttpCode, HttpStatus, Param, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { DesktopApi, Public } from '../auth/decorators.js';
import { RateLimited } from '../limits/rate-limit.guard.js';
import { bearerToken } from '../auth/guards/bearer-token.js';
import { DesktopHandoffService } from './desktop-handoff.service.js';
import { DesktopTokensService } from '../desktop-tokens/desktop-tokens.service.js';
import { ApiErrorDto } from './dto/api-error.dto.js';
import { CreateHandoffDto } from './dto/create-handoff.dto.js';
import { DesktopTokenResponseDto, DesktopUserDto } from './dto/desktop-token.dto.js';
import { EnvironmentDto } from './dto/environment.dto.js';
import { HandoffCreatedDto, HandoffStatusDto } from './dto/handoff.dto.js';
import { RedeemHandoffDto } from './dto/redeem-handoff.dto.js';

const HANDOFF_ID = { name: 'id', format: 'uuid', description: 'The handoff id from POST /api/desktop/handoffs.' };

/** What Service Studio and Integration Studio call: the login handed to the browser, and the token it yields. */
@ApiTags('desktop')
@Controller('api/desktop')
export class DesktopApiController {
  constructor(
    private readonly handoffs: DesktopHandoffService,
    private readonly tokens: DesktopTokensService,
  ) {}

  @Public()
  @Get('environment')
  @ApiOperation({ summary: 'How this environment signs Studios in, and whether that works right now' })
  @ApiOkResponse({ type: EnvironmentDto })
  environment(): Promise<EnvironmentDto> {
    return this.handoffs.environment();
  }

  @Public()
  @RateLimited('handoff-create')
  @Post('handoffs')
  @ApiOperation({ summary: 'Start a Studio login in the browser (PKCE S256)' })
  @ApiCreatedResponse({ type: HandoffCreatedDto })
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'invalid_request (missing, extra or malformed fields, PKCE other than S256) or invalid_redirect_uri.' })
  create(@Body() body: CreateHandoffDto, @Req() req: Request): Promise<HandoffCreatedDto> {
    return this.handoffs.create(body, req.id);
  }

  @Public()
  @Get('handoffs/:id')
  @ApiOperation({ summary: 'Where a handoff stands; never the code or a token' })
  @ApiParam(HANDOFF_ID)
  @ApiOkResponse({ type: HandoffStatusDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'handoff_not_found' })
  status(@Param('id') id: string): Promise<HandoffStatusDto> {
    return this.handoffs.status(id);
  }

  @Public()
  @Post('handoffs/:id/token')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Redeem the one-time code with the PKCE verifier for a desktop token, once' })
  @ApiParam(HANDOFF_ID)
  @ApiOkResponse({ type: DesktopTokenResponseDto })
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'invalid_request (malformed body) or invalid_grant (wrong code or verifier, already redeemed, expired, cancelled).' })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'handoff_not_found' })
  redeem(@Param('id') id: string, @Body() body: RedeemHandoffDto, @Req() req: Request): Promise<DesktopTokenResponseDto> {
    return this.handoffs.redeem({ id, grant: body, requestId: req.id });
  }

  @DesktopApi()
  @Get('me')
  @ApiOperation({ summary: 'The user behind a desktop token' })
  @ApiOkResponse({ type: DesktopUserDto })
  @ApiUnauthorizedResponse({ type: ApiErrorDto, description: 'No desktop token, or an unknown, expired or revoked one, or a deactivated user.' })
  me(@Req() req: Request): DesktopUserDto {
    return DesktopUserDto.from(req.principal!.user);
  }

  @DesktopApi()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke the desktop token sent' })
  @ApiNoContentResponse({ description: 'The token is revoked; it is refused with 401 from now on.' })
  @ApiUnauthorizedResponse({ type: ApiErrorDto })
  async logout(@Req() req: Request): Promise<void> {
    await this.tokens.revoke(bearerToken(req)!, req.principal!.user);
  }
}
