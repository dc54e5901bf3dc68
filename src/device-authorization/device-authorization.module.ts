import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DesktopTokensModule } from '../desktop-tokens/desktop-tokens.module.js';
import { DeviceAuthorization } from './device-authorization.entity.js';
import { DeviceAuthorizationRepository } from './device-authorization.repository.js';
import { DeviceAuthorizationService } from './device-authorization.service.js';
import { DevicePageController } from './device-page.controller.js';
import { OAuthController } from './oauth.controller.js';
import { UserCodeGuessLimiter } from './user-code-guess.limiter.js';

/** RFC 8628 device authorization for command-line tools and Studios without a usable browser. */
@Module({
  imports: [TypeOrmModule.forFeature([DeviceAuthorization]), DesktopTokensModule],
  controllers: [OAuthController, DevicePageController],
  providers: [DeviceAuthorizationRepository, DeviceAuthorizationService, UserCodeGuessLimiter],
})
export class DeviceAuthorizationModule {}
