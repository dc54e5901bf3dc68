import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Patch, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminApi } from '../auth/decorators.js';
import { UsersService } from '../users/users.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { CreateUserDto, UpdateUserDto, UserDto } from './dto/user.dto.js';

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
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  async get(@Param('id', uuid) id: string): Promise<UserDto> {
    return UserDto.from(await this.users.get(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The change would leave no active admin.' })
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
