import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DesktopTokenVerifier } from '../auth/guards/desktop-token.guard.js';
import { DesktopRefreshToken } from './desktop-refresh-token.entity.js';
import { DesktopTokenFamily } from './desktop-token-family.entity.js';
import { DesktopToken } from './desktop-token.entity.js';
import { AccessTokenCache } from './access-token.cache.js';
import { DesktopTokensController } from './desktop-tokens.controller.js';
import { DesktopTokensRepository } from './desktop-tokens.repository.js';
import { DesktopTokensService } from './desktop-tokens.service.js';

/**
 * Access and refresh tokens of the desktop clients, shared by every flow that signs one in. Global so
 * that auth's sign-out paths reach them through DesktopTokenVerifier without importing this module.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([DesktopToken, DesktopTokenFamily, DesktopRefreshToken])],
  controllers: [DesktopTokensController],
  providers: [DesktopTokensRepository, AccessTokenCache, DesktopTokensService, { provide: DesktopTokenVerifier, useExisting: DesktopTokensService }],
  exports: [DesktopTokensService, DesktopTokenVerifier],
})
export class DesktopTokensModule {}
