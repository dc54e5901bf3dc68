import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessModule } from './access/access.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { ConsolesModule } from './consoles/consoles.module.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { ExpiredRowsPruner } from './database/prune-expired.js';
import { DesktopHandoffModule } from './desktop-handoff/desktop-handoff.module.js';
import { DeviceAuthorizationModule } from './device-authorization/device-authorization.module.js';
import { ForwardAuthModule } from './forward-auth/forward-auth.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityProvidersModule } from './identity-providers/identity-providers.module.js';
import type { OidcConnection } from './identity-providers/oidc-connection.js';
import { LimitsModule } from './limits/limits.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { ProvisioningModule } from './provisioning/provisioning.module.js';
import { UsersModule } from './users/users.module.js';

export interface AppRuntime {
  config: AppConfig;
  databaseUrl: string;
  oidc: OidcConnection;
}

@Module({})
export class AppModule {
  static forRoot(runtime: AppRuntime): DynamicModule {
    return {
      module: AppModule,
      // Express tries routes in the order they were registered, which follows this list: the routes
      // asked many times a second (probes, forward auth, which every request to every protected app
      // asks, the desktop API, console pages) come first.
      imports: [
        AppConfigModule.forRoot(runtime.config),
        TypeOrmModule.forRoot(dataSourceOptions(runtime.databaseUrl, runtime.config.database)),
        HealthModule,
        ForwardAuthModule,
        DesktopHandoffModule,
        ConsolesModule,
        ObservabilityModule,
        AuditModule,
        LimitsModule,
        IdentityProvidersModule.forRoot(runtime.oidc),
        UsersModule,
        AuthModule,
        AccessModule,
        AdminModule,
        DeviceAuthorizationModule,
        ProvisioningModule,
      ],
      providers: [ExpiredRowsPruner],
    };
  }
}
