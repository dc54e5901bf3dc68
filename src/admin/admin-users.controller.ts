import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminApi } from '../auth/decorators.js';
import { RoleSyncService } from '../access/role-sync.service.js';
import { UsersService } from '../users/users.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { CreateUserDto, UpdateUserDto, UserDetailDto, UserDto } from './dto/user.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('admin')
@AdminApi()
@ApiUnauthorizedResponse({ description: 'No admin API token and no signed-in session.' })
@ApiForbiddenResponse({ description: 'Signed in, but not an admin (or a cross-origin session request).' })
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly admin: AdminUsersService,
    private readonly roles: RoleSyncService,
  ) {}

  @Get()
  @ApiOkResponse({ type: [UserDto] })
  async list(): Promise<UserDto[]> {
    return (await this.users.list()).map(UserDto.from);
  }

  @Post()
  @ApiCreatedResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: 'Invalid email or roles.' })
  @ApiConflictResponse({ description: 'A user with this email exists.' })
  async create(@Body() body: CreateUserDto, @Req() req: Request): Promise<UserDto> {
    return UserDto.from(await this.admin.create(body, req.principal!.user));
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDetailDto })
  @ApiNotFoundResponse()
  async get(@Param('id', uuid) id: string): Promise<UserDetailDto> {
    const [user, identities, owner] = await Promise.all([this.users.get(id), this.users.identitiesOf(id), this.roles.rolesOwner(id)]);
    return UserDetailDto.detail(user, identities, owner?.id);
  }

  @Delete(':id/identities/:identityId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Unlinked (admin.identity.unlinked): the next login through that provider meets the trust rules again.' })
  @ApiNotFoundResponse({ description: 'No such user, or no such identity of this user.' })
  async unlinkIdentity(@Param('id', uuid) id: string, @Param('identityId', uuid) identityId: string, @Req() req: Request): Promise<void> {
    await this.admin.unlinkIdentity(id, identityId, req.principal!.user);
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The change would leave no active admin, or the roles come from an identity provider (roleSource "provider").' })
  async update(@Param('id', uuid) id: string, @Body() body: UpdateUserDto, @Req() req: Request): Promise<UserDto> {
    return UserDto.from(await this.admin.update(id, body, req.principal!.user));
  }

  @Delete(':id')
  @ApiOkResponse({ type: UserDto, description: 'The user is deactivated (kept, with active false); their sessions end at once.' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The user is the last active admin.' })
  async deactivate(@Param('id', uuid) id: string, @Req() req: Request): Promise<UserDto> {
    return UserDto.from(await this.admin.deactivate(id, req.principal!.user));
  }
}
