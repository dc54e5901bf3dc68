import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SCIM_BASE_PATH, ScimApi, ScimResponse, scimBaseUrl } from './scim-api.decorator.js';
import { listResponse, readPage } from './scim-request.js';
import { userResource } from './scim-user-resource.js';
import { ScimUsersService } from './scim-users.service.js';

/** SCIM Users (RFC 7644 §3): the users of the token's provider. */
@ScimApi()
@Controller(`${SCIM_BASE_PATH}/Users`)
export class ScimUsersController {
  private readonly baseUrl: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: ScimUsersService,
  ) {
    this.baseUrl = scimBaseUrl(config);
  }

  @Post()
  @ScimResponse()
  @ApiOperation({ summary: 'Create a user (409 uniqueness when the userName is taken)' })
  async create(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    const resource = userResource(await this.users.create(req.scimClient!, body), this.baseUrl);
    res.location((resource.meta as { location: string }).location);
    return resource;
  }

  @Get()
  @ScimResponse()
  @ApiOperation({ summary: 'List users: filter with eq on userName, externalId, emails.value (joined by and), startIndex, count' })
  async list(@Query() query: Record<string, unknown>, @Req() req: Request): Promise<Record<string, unknown>> {
    const page = readPage(query);
    const filter = typeof query.filter === 'string' && query.filter.trim() !== '' ? query.filter : undefined;
    const { total, states } = await this.users.list(req.scimClient!, filter, page);
    return listResponse(total, page.startIndex, states.map((state) => userResource(state, this.baseUrl)));
  }

  @Get(':id')
  @ScimResponse()
  async get(@Param('id') id: string, @Req() req: Request): Promise<Record<string, unknown>> {
    return userResource(await this.users.get(req.scimClient!, id), this.baseUrl);
  }

  @Put(':id')
  @ScimResponse()
  @ApiOperation({ summary: 'Replace a user (Okta: profile updates and deactivation with active false)' })
  async replace(@Param('id') id: string, @Body() body: unknown, @Req() req: Request): Promise<Record<string, unknown>> {
    return userResource(await this.users.replace(req.scimClient!, id, body), this.baseUrl);
  }

  @Patch(':id')
  @ScimResponse()
  @ApiOperation({ summary: 'Modify a user with RFC 7644 §3.5.2 operations, all or none' })
  async patch(@Param('id') id: string, @Body() body: unknown, @Req() req: Request): Promise<Record<string, unknown>> {
    return userResource(await this.users.patch(req.scimClient!, id, body), this.baseUrl);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete: the user is deactivated here (kept for the audit trail) and the resource answers 404 from then on' })
  async delete(@Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.users.delete(req.scimClient!, id);
  }
}
