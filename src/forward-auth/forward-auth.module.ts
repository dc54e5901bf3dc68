import { Module } from '@nestjs/common';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { ForwardAuthController } from './forward-auth.controller.js';
import { ForwardAuthService } from './forward-auth.service.js';
import { SigningKeysService } from './signing-keys.service.js';

/** `/auth/verify` for reverse proxies, the protected apps, and the assertion keys with their JWKS. */
@Module({
  imports: [SigningKeysModule],
  controllers: [ForwardAuthController],
  providers: [SigningKeysService, ForwardAuthService],
  exports: [SigningKeysService],
})
export class ForwardAuthModule {}
