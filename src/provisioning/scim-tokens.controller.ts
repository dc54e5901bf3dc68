import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { Request } from 'express';
import { AdminApi } from '../auth/decorators.js';
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
  @ApiCreatedResponse({ description: '{"id", "name", "providerId", "createdAt", "token"}: the token is shown in this answer only.' })
  @ApiNotFoundResponse({ description: 'No such identity provider.' })
  create(@Body() body: CreateScimTokenDto, @Req() req: Request): Promise<ScimTokenView & { token: string }> {
    return this.tokens.create(body, req.principal!.user.id);
  }

  @Get()
  @ApiQuery({ name: 'providerId', required: false })
  @ApiOkResponse({ description: 'The SCIM tokens, without their values.' })
  list(@Query('providerId') providerId?: string): Promise<ScimTokenView[]> {
    return this.tokens.list(providerId || undefined);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Revoked: the directory using it is refused from its next request.' })
  @ApiNotFoundResponse()
  async revoke(@Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.tokens.revoke(id, req.principal!.user.id);
  }
}
