import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { atRestKey } from '../common/secret-box.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SigningKey } from './signing-key.entity.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeySeal } from './signing-key-seal.js';

/**
 * The sealed signing-key storage every key set shares (forward-auth assertions, client assertions
 * toward identity providers); each owner builds its `RotatingKeySet` on these two.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  providers: [{ provide: SigningKeySeal, inject: [APP_CONFIG], useFactory: async (config: AppConfig) => new SigningKeySeal(await atRestKey(config)) }, SigningKeyRepository],
  exports: [SigningKeySeal, SigningKeyRepository],
})
export class SigningKeysModule {}
