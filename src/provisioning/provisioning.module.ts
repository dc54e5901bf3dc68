import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminModule } from '../admin/admin.module.js';
import { UsersModule } from '../users/users.module.js';
import { USER_GROUPS } from '../access/user-groups.js';
import { MembershipRoles, ScimUserGroups } from './membership-roles.js';
import { ScimDiscoveryController } from './scim-discovery.controller.js';
import { ScimGroupMember, ScimGroupRecord } from './scim-group.entity.js';
import { ScimGroupsController } from './scim-groups.controller.js';
import { ScimGroupsRepository } from './scim-groups.repository.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimToken } from './scim-token.entity.js';
import { ScimTokenGuard } from './scim-token.guard.js';
import { ScimTokensController } from './scim-tokens.controller.js';
import { ScimTokensService } from './scim-tokens.service.js';
import { ScimUserRecord } from './scim-user.entity.js';
import { ScimUsersController } from './scim-users.controller.js';
import { ScimUsersRepository } from './scim-users.repository.js';
import { ScimUsersService } from './scim-users.service.js';

/**
 * SCIM 2.0 provisioning (RFC 7643 / 7644) under /scim/v2, with its own token guard, and the admin
 * API for SCIM tokens. Users change only through UsersService; a deactivation ends access through
 * AdminUsersService's path. Global for its USER_GROUPS: the access module's role rules on `groups`
 * read the SCIM group memberships through it.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ScimToken, ScimUserRecord, ScimGroupRecord, ScimGroupMember]), UsersModule, AdminModule],
  controllers: [ScimUsersController, ScimGroupsController, ScimDiscoveryController, ScimTokensController],
  providers: [ScimTokensService, ScimTokenGuard, ScimUsersRepository, ScimUsersService, ScimGroupsRepository, ScimGroupsService, MembershipRoles, { provide: USER_GROUPS, useClass: ScimUserGroups }],
  exports: [ScimTokensService, ScimGroupsService, USER_GROUPS],
})
export class ProvisioningModule {}
