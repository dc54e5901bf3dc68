import { Module } from '@nestjs/common';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { ForwardAuthCallers } from './forward-auth-callers.js';
import { ForwardAuthController } from './forward-auth.controller.js';
import { ForwardAuthService } from './forward-auth.service.js';
import { SigningKeysService } from './signing-keys.service.js';

/** `/auth/verify` for reverse proxies (sessions and bearer tokens), `/auth/forbidden`, the protected apps, and the assertion keys with their JWKS. */
@Module({
  imports: [SigningKeysModule],
  controllers: [ForwardAuthController],
  providers: [SigningKeysService, ForwardAuthService, ForwardAuthCallers],
  exports: [SigningKeysService],
})
export class ForwardAuthModule {}
