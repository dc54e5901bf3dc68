import { Module } from '@nestjs/common';
import { AdminIdentityProvidersController } from './admin-identity-providers.controller.js';
import { AdminSessionsController } from './admin-sessions.controller.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

@Module({
  controllers: [AdminUsersController, AdminSessionsController, AdminIdentityProvidersController],
  providers: [AdminUsersService, AdminSessionsService],
  exports: [AdminUsersService, AdminSessionsService],
})
export class AdminModule {}
