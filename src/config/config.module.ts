import { Global, Module, type DynamicModule } from '@nestjs/common';
import { OIDC_CONNECTION, type OidcConnection } from '../auth/oidc-connection.js';
import { APP_CONFIG, type AppConfig } from './app-config.js';

/** Makes the validated configuration (and the resolved provider connection) injectable everywhere. */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig, oidc: OidcConnection): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: OIDC_CONNECTION, useValue: oidc },
      ],
      exports: [APP_CONFIG, OIDC_CONNECTION],
    };
  }
}
