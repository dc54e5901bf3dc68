import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { atRestKey } from '../common/secret-box.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ForwardAuthCallers } from './forward-auth-callers.js';
import { ForwardAuthController } from './forward-auth.controller.js';
import { ForwardAuthService } from './forward-auth.service.js';
import { SigningKey } from './signing-key.entity.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeySeal } from './signing-key-seal.js';
import { SigningKeysService } from './signing-keys.service.js';

/** `/auth/verify` for reverse proxies (sessions and bearer tokens), `/auth/forbidden`, the protected apps, and the assertion keys with their JWKS. */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  controllers: [ForwardAuthController],
  providers: [
    { provide: SigningKeySeal, inject: [APP_CONFIG], useFactory: async (config: AppConfig) => new SigningKeySeal(await atRestKey(config)) },
    SigningKeyRepository,
    SigningKeysService,
    ForwardAuthService,
    ForwardAuthCallers,
  ],
  exports: [SigningKeysService],
})
export class ForwardAuthModule {}
