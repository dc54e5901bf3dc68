import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module.js';
import { ConsolesController } from './consoles.controller.js';
import { LifeTimeAuditController } from './lifetime-audit.controller.js';
import { LifeTimeAuthenticationController } from './lifetime-authentication.controller.js';
import { LifeTimeController } from './lifetime.controller.js';

@Module({ imports: [AdminModule], controllers: [LifeTimeAuthenticationController, LifeTimeAuditController, LifeTimeController, ConsolesController] })
export class ConsolesModule {}
