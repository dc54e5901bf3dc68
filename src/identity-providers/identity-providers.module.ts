import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { LoginStateCookie } from '../auth/strategies/login-state.cookie.js';
import { MetricsService } from '../observability/metrics.service.js';
import { UsersModule } from '../users/users.module.js';
import { IdentityProviderRecord } from './identity-provider.entity.js';
import { IdentityProviderRegistry } from './identity-provider.registry.js';
import { IdentityProvidersRepository } from './identity-providers.repository.js';
import { IdentityProvidersService } from './identity-providers.service.js';
import type { OidcProviderSettings } from './oidc-identity-provider.js';
import type { OidcConnection } from './oidc-connection.js';
import { ProviderHealthService } from './provider-health.service.js';
import { ProviderSecrets } from './provider-secrets.js';
import { ProviderSyncService } from './provider-sync.service.js';
import { ProviderTestRecord } from './provider-test-result.entity.js';
import { SignInFallback } from './sign-in-fallback.js';
import { ENVIRONMENT_PROVIDER_ID, providerCallbackUrl } from './provider-urls.js';
import { atRestKey } from '../common/secret-box.js';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { ClientAssertionKeysService } from './client-assertion-keys.service.js';
import { ClientJwksController } from './client-jwks.controller.js';
import { AddressPolicy } from '../common/address-policy.js';
import { ProviderHttp } from './provider-http.js';

/**
 * The identity providers: the one OIDC_* configures and those stored in the database, their
 * registry on this instance, the Test, and readiness. Others depend on `IdentityProvider` only.
 */
@Global()
@Module({})
export class IdentityProvidersModule {
  static forRoot(connection: OidcConnection): DynamicModule {
    return {
      module: IdentityProvidersModule,
      imports: [TypeOrmModule.forFeature([IdentityProviderRecord, ProviderTestRecord]), UsersModule, SigningKeysModule],
      controllers: [ClientJwksController],
      providers: [
        ClientAssertionKeysService,
        {
          provide: ProviderHttp,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new ProviderHttp(new AddressPolicy(config.oidc.allowedPrivateAddresses)),
        },
        {
          provide: LoginStateCookie,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new LoginStateCookie(config.session.secret, config.session.secureCookie),
        },
        {
          provide: IdentityProviderRegistry,
          inject: [APP_CONFIG, MetricsService, LoginStateCookie, ProviderHttp, ClientAssertionKeysService],
          useFactory: (config: AppConfig, metrics: MetricsService, loginState: LoginStateCookie, http: ProviderHttp, assertionKeys: ClientAssertionKeysService) =>
            new IdentityProviderRegistry([environmentProvider(config, connection)], {
              observeCall: (providerId, endpoint, seconds, ok) => metrics.observeIdpCall(providerId, endpoint, seconds, ok),
              loginState,
              http,
              assertionSigner: assertionKeys,
            }),
        },
        {
          provide: ProviderSecrets,
          inject: [APP_CONFIG],
          useFactory: async (config: AppConfig) => new ProviderSecrets(await atRestKey(config)),
        },
        IdentityProvidersRepository,
        ProviderSyncService,
        ProviderHealthService,
        SignInFallback,
        IdentityProvidersService,
      ],
      exports: [IdentityProviderRegistry, ProviderHealthService, IdentityProvidersService, LoginStateCookie, ClientAssertionKeysService],
    };
  }
}

function environmentProvider(config: AppConfig, connection: OidcConnection): OidcProviderSettings {
  return {
    id: ENVIRONMENT_PROVIDER_ID,
    displayName: config.oidc.displayName,
    issuer: connection.issuer,
    clientId: connection.clientId,
    clientSecret: connection.clientSecret,
    clientAuth: connection.clientAuth,
    scopes: config.oidc.scopes,
    matchClaim: config.oidc.matchClaim,
    emailDomains: config.oidc.emailDomains,
    access: config.oidc.access,
    source: 'environment',
    version: 0,
    callbackUrl: providerCallbackUrl(config.publicUrl, ENVIRONMENT_PROVIDER_ID),
    jwksCooldownMs: config.oidc.jwksCooldownSeconds * 1000,
    httpTimeoutMs: config.oidc.httpTimeoutMs,
  };
}
