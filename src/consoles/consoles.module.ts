import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module.js';
import { ProvisioningModule } from '../provisioning/provisioning.module.js';
import { ConsolesController } from './consoles.controller.js';
import { LifeTimeAccessController } from './lifetime-access.controller.js';
import { LifeTimeAuditController } from './lifetime-audit.controller.js';
import { LifeTimeAuthenticationController } from './lifetime-authentication.controller.js';
import { LifeTimeController } from './lifetime.controller.js';
import { LifeTimeProvisioningController } from './lifetime-provisioning.controller.js';

@Module({
  imports: [AdminModule, ProvisioningModule],
  // Routes are tried in this order: the console pages first (asked most), LifeTimeController last
  // (its catch-all must come after the other LifeTime routes).
  controllers: [ConsolesController, LifeTimeAuthenticationController, LifeTimeAccessController, LifeTimeProvisioningController, LifeTimeAuditController, LifeTimeController],
})
export class ConsolesModule {}
