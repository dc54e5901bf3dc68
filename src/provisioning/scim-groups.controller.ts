import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SCIM_BASE_PATH, ScimApi, ScimResponse, scimBaseUrl } from './scim-api.decorator.js';
import { groupResource } from './scim-group-resource.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { excludesMembers, listResponse, readPage } from './scim-request.js';

/** SCIM Groups (RFC 7644 §3): the groups of the token's provider; members are its users. */
@ScimApi()
@Controller(`${SCIM_BASE_PATH}/Groups`)
export class ScimGroupsController {
  private readonly baseUrl: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly groups: ScimGroupsService,
  ) {
    this.baseUrl = scimBaseUrl(config);
  }

  @Post()
  @ScimResponse()
  @ApiOperation({ summary: 'Create a group (409 uniqueness when the displayName is taken)' })
  async create(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    const resource = groupResource(await this.groups.create(req.scimClient!, body), this.baseUrl);
    res.location((resource.meta as { location: string }).location);
    return resource;
  }

  @Get()
  @ScimResponse()
  @ApiOperation({ summary: 'List groups: filter displayName eq (or externalId eq), startIndex, count, excludedAttributes=members' })
  async list(@Query() query: Record<string, unknown>, @Req() req: Request): Promise<Record<string, unknown>> {
    const page = readPage(query);
    const filter = typeof query.filter === 'string' && query.filter.trim() !== '' ? query.filter : undefined;
    const { total, states } = await this.groups.list(req.scimClient!, filter, page, !excludesMembers(query.excludedAttributes));
    return listResponse(total, page.startIndex, states.map((state) => groupResource(state, this.baseUrl)));
  }

  @Get(':id')
  @ScimResponse()
  async get(@Param('id') id: string, @Query('excludedAttributes') excluded: unknown, @Req() req: Request): Promise<Record<string, unknown>> {
    return groupResource(await this.groups.get(req.scimClient!, id, !excludesMembers(excluded)), this.baseUrl);
  }

  @Put(':id')
  @ScimResponse()
  async replace(@Param('id') id: string, @Body() body: unknown, @Req() req: Request): Promise<Record<string, unknown>> {
    return groupResource(await this.groups.replace(req.scimClient!, id, body), this.baseUrl);
  }

  @Patch(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Modify a group with RFC 7644 §3.5.2 operations (members add/remove/replace, displayName), all or none' })
  async patch(@Param('id') id: string, @Body() body: unknown, @Req() req: Request): Promise<void> {
    await this.groups.patch(req.scimClient!, id, body);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async delete(@Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.groups.delete(req.scimClient!, id);
  }
}
