import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ForwardAuthController } from './forward-auth.controller.js';
import { ForwardAuthService } from './forward-auth.service.js';
import { SigningKey } from './signing-key.entity.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeysService } from './signing-keys.service.js';

/** `/auth/verify` for reverse proxies, the protected apps, and the assertion keys with their JWKS. */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  controllers: [ForwardAuthController],
  providers: [SigningKeyRepository, SigningKeysService, ForwardAuthService],
  exports: [SigningKeysService],
})
export class ForwardAuthModule {}
