import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { Request } from 'express';
import { AdminApi } from '../auth/decorators.js';
import { ApiErrorDto } from '../common/api-error.dto.js';
import { ScimTokensService, type ScimTokenView } from './scim-tokens.service.js';

export class CreateScimTokenDto {
  @ApiProperty({ example: 'corp', description: 'The identity provider whose directory will use the token' })
  @IsString()
  @Length(1, 64)
  providerId: string;

  @ApiProperty({ example: 'Entra ID provisioning', description: 'Names the directory in the audit trail' })
  @IsString()
  @Length(1, 100)
  name: string;
}

@ApiTags('admin')
@AdminApi()
@ApiUnauthorizedResponse({ description: 'No admin API token and no signed-in session.' })
@ApiForbiddenResponse({ description: 'Signed in, but not an admin.' })
@Controller('api/admin/scim-tokens')
export class ScimTokensController {
  constructor(private readonly tokens: ScimTokensService) {}

  @Post()
  @ApiOperation({ summary: 'Create a SCIM token for a provider\'s directory (shown once)' })
  @ApiBadRequestResponse({ description: '`invalid_request`: providerId or name missing or too long.', type: ApiErrorDto })
  @ApiCreatedResponse({ description: '{"id", "name", "providerId", "createdAt", "token"}: the token is shown in this answer only.' })
  @ApiNotFoundResponse({ description: 'No such identity provider.', type: ApiErrorDto })
  create(@Body() body: CreateScimTokenDto, @Req() req: Request): Promise<ScimTokenView & { token: string }> {
    return this.tokens.create(body, req.principal!.user.id);
  }

  @Get()
  @ApiOperation({ summary: 'List SCIM tokens, without their values' })
  @ApiQuery({ name: 'providerId', required: false })
  @ApiOkResponse({ description: 'The SCIM tokens, without their values.' })
  list(@Query('providerId') providerId?: string): Promise<ScimTokenView[]> {
    return this.tokens.list(providerId || undefined);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a SCIM token' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The SCIM token id' })
  @ApiNoContentResponse({ description: 'Revoked: the directory using it is refused from its next request.' })
  @ApiBadRequestResponse({ description: '`invalid_request`: the id is not a UUID.', type: ApiErrorDto })
  @ApiNotFoundResponse({ description: '`scim_token_not_found`: no SCIM token with this id.', type: ApiErrorDto })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: Request): Promise<void> {
    await this.tokens.revoke(id, req.principal!.user.id);
  }
}
