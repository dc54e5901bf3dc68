import { Module } from '@nestjs/common';
import { DesktopHandoffModule } from '../desktop-handoff/desktop-handoff.module.js';
import { AdminIdentityProvidersController } from './admin-identity-providers.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

@Module({ imports: [DesktopHandoffModule], controllers: [AdminUsersController, AdminIdentityProvidersController], providers: [AdminUsersService] })
export class AdminModule {}
