import { Module } from '@nestjs/common';
import { DesktopHandoffModule } from '../desktop-handoff/desktop-handoff.module.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

@Module({ imports: [DesktopHandoffModule], controllers: [AdminUsersController], providers: [AdminUsersService], exports: [AdminUsersService] })
export class AdminModule {}
