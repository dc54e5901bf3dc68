import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ScimDiscoveryController } from './scim-discovery.controller.js';
import { ScimToken } from './scim-token.entity.js';
import { ScimTokenGuard } from './scim-token.guard.js';
import { ScimTokensController } from './scim-tokens.controller.js';
import { ScimTokensService } from './scim-tokens.service.js';

/** SCIM 2.0 provisioning (RFC 7643 / 7644) under /scim/v2, with its own token guard, and the admin API for SCIM tokens. */
@Module({
  imports: [TypeOrmModule.forFeature([ScimToken])],
  controllers: [ScimDiscoveryController, ScimTokensController],
  providers: [ScimTokensService, ScimTokenGuard],
  exports: [ScimTokensService],
})
export class ProvisioningModule {}
