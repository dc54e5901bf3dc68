import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { RoleSyncService } from '../access/role-sync.service.js';
import { AdminApi } from '../auth/decorators.js';
import { ApiErrorDto } from '../common/api-error.dto.js';
import { UsersService } from '../users/users.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { CreateUserDto, DeactivatedUserDto, UpdateUserDto, USER_EXAMPLE, UserDetailDto, UserDto } from './dto/user.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });
const USER_ID = { name: 'id', format: 'uuid', description: 'The user id' };
const BAD_ID = { description: '`invalid_request`: the id is not a UUID.', type: ApiErrorDto };
const NO_USER = { description: '`user_not_found`: no user with this id.', type: ApiErrorDto };

@ApiTags('admin')
@AdminApi()
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly admin: AdminUsersService,
    private readonly roles: RoleSyncService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users', description: 'Every user of the platform, active or not, oldest first.' })
  @ApiOkResponse({ type: [UserDto] })
  async list(): Promise<UserDto[]> {
    return (await this.users.list()).map(UserDto.from);
  }

  @Post()
  @ApiOperation({ summary: 'Add a user', description: 'The user can sign in once an identity provider vouches for this email (or the provider’s match claim).' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: '`invalid_request` or `invalid_email`: invalid email or roles.', type: ApiErrorDto })
  @ApiConflictResponse({ description: '`user_exists`: a user with this email exists.', type: ApiErrorDto })
  async create(@Body() body: CreateUserDto, @Req() req: Request): Promise<UserDto> {
    return UserDto.from(await this.admin.create(body, req.principal!.user));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one user, with the provider identities it signs in with' })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: UserDetailDto })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NO_USER)
  async get(@Param('id', uuid) id: string): Promise<UserDetailDto> {
    const [user, identities, owner] = await Promise.all([this.users.get(id), this.users.identitiesOf(id), this.roles.rolesOwner(id)]);
    return UserDetailDto.detail(user, identities, owner?.id);
  }

  @Delete(':id/identities/:identityId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unlink one provider identity from a user' })
  @ApiParam(USER_ID)
  @ApiParam({ name: 'identityId', format: 'uuid', description: 'The identity id (from GET /api/admin/users/{id})' })
  @ApiNoContentResponse({ description: 'Unlinked (admin.identity.unlinked): the next login through that provider meets the trust rules again.' })
  @ApiBadRequestResponse({ description: '`invalid_request`: an id is not a UUID.', type: ApiErrorDto })
  @ApiNotFoundResponse({ description: 'No such user, or no such identity of this user.', type: ApiErrorDto })
  async unlinkIdentity(@Param('id', uuid) id: string, @Param('identityId', uuid) identityId: string, @Req() req: Request): Promise<void> {
    await this.admin.unlinkIdentity(id, identityId, req.principal!.user);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a user (name, roles, active)',
    description: '`active: false` deactivates exactly as DELETE does. `active: true` lets the user in again; their next sign-in must still be a fresh authentication at the provider.',
  })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: '`invalid_request`: the id is not a UUID, or the body is invalid.', type: ApiErrorDto })
  @ApiNotFoundResponse(NO_USER)
  @ApiConflictResponse({ description: '`last_admin`: the change would leave no active admin; `roles_from_provider`: the roles come from an identity provider (roleSource "provider").', type: ApiErrorDto })
  async update(@Param('id', uuid) id: string, @Body() body: UpdateUserDto, @Req() req: Request): Promise<UserDto> {
    return UserDto.from(await this.admin.update(id, body, req.principal!.user));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Deactivate a user',
    description:
      'The user is kept (with `active: false`) for the audit trail; every console session and desktop token ends at once, on every instance. Should the user be made active again, their next sign-in must be a fresh authentication at the identity provider.',
  })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: DeactivatedUserDto, description: 'The user, now deactivated.', example: { ...USER_EXAMPLE, active: false } })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NO_USER)
  @ApiConflictResponse({ description: '`last_admin`: the user is the last active admin.', type: ApiErrorDto })
  async deactivate(@Param('id', uuid) id: string, @Req() req: Request): Promise<UserDto> {
    return UserDto.from(await this.admin.deactivate(id, req.principal!.user));
  }
}
