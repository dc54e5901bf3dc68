import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Logger, ValidationPipe, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { loadConfig, type AppConfig } from './config/app-config.js';
import { AppExceptionFilter } from './common/exception.filter.js';
import { securityHeaders } from './common/security-headers.js';
import { requestContext } from './observability/request-context.js';
import { exceptProbes } from './health/probe-paths.js';
import { openDatabase } from './database/embedded-postgres.js';
import { DEV_IDP_ACCOUNTS } from './dev-idp/dev-idp-accounts.js';
import type { DevIdp } from './dev-idp/dev-idp.js';
import { UsersService } from './users/users.service.js';
import type { OidcConnection } from './identity-providers/oidc-connection.js';
import { ENVIRONMENT_PROVIDER_ID, providerCallbackUrl } from './identity-providers/provider-urls.js';

export interface RunningService {
  app: INestApplication;
  config: AppConfig;
  url: string;
  issuer: string;
  databaseUrl: string;
  devIdp?: DevIdp;
  close(): Promise<void>;
}

const LOG_LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Resolves the database, then the identity provider, then starts the HTTP service. */
export async function startService(env: Record<string, string | undefined>): Promise<RunningService> {
  const config = loadConfig(env);
  const logger = new Logger('Bootstrap');
  Logger.overrideLogger(LOG_LEVELS[config.logLevel]);

  const database = await openDatabase(config, (line) => logger.log(line));
  const { oidc, devIdp } = await resolveIdentityProvider(config);
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, databaseUrl: database.url, oidc }), {
      logger: LOG_LEVELS[config.logLevel],
    });
    app.set('trust proxy', config.trustProxy);
    app.disable('x-powered-by');
    // Pages and answers are per user and per request: hashing each body for a conditional GET costs more than it saves.
    app.set('etag', false);
    app.use(exceptProbes(requestContext), exceptProbes(securityHeaders));
    app.useGlobalFilters(new AppExceptionFilter());
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    app.enableShutdownHooks();
    setUpSwagger(app);
    if (devIdp) await seedDemoUsers(app);
    await app.listen(config.port, '0.0.0.0');

    return {
      app,
      config,
      url: config.publicUrl.origin,
      issuer: oidc.issuer,
      databaseUrl: database.url,
      devIdp,
      close: async () => {
        await app.close();
        await devIdp?.close();
        await database.stop();
      },
    };
  } catch (error) {
    await devIdp?.close();
    await database.stop();
    throw error;
  }
}

async function resolveIdentityProvider(config: AppConfig): Promise<{ oidc: OidcConnection; devIdp?: DevIdp }> {
  if (config.oidc.issuer) {
    return { oidc: { issuer: config.oidc.issuer, clientId: config.oidc.clientId, clientSecret: config.oidc.clientSecret } };
  }
  // Loaded only here, so a service with a real provider never loads the development one.
  const { startDevIdp } = await import('./dev-idp/dev-idp.js');
  const clientSecret = randomBytes(24).toString('base64url');
  const devIdp = await startDevIdp({
    port: config.oidc.devIdpPort,
    clients: [
      {
        clientId: config.oidc.clientId,
        clientSecret,
        redirectUris: [callbackUrl(config)],
        postLogoutRedirectUris: [new URL('/auth/signed-out', config.publicUrl).toString()],
      },
    ],
  });
  return { oidc: { issuer: devIdp.issuer, clientId: config.oidc.clientId, clientSecret }, devIdp };
}

/** The redirect URI of the OIDC_* provider, printed at start-up for registration at the provider. */
export function callbackUrl(config: AppConfig): string {
  return providerCallbackUrl(config.publicUrl, ENVIRONMENT_PROVIDER_ID);
}

function setUpSwagger(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Identity front door')
      .setDescription('Sign-in for the management consoles and the desktop Studios, and user administration.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Admin API token (npm run cli -- tokens create --email …)' }, 'admin-token')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Desktop token from POST /api/desktop/handoffs/{id}/token' }, 'desktop-token')
      .addCookieAuth('frontdoor.sid', { type: 'apiKey', in: 'cookie', description: 'Session of a signed-in admin (same origin)' }, 'session')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}

/** The development provider's platform users; the third demo account is left out on purpose. */
async function seedDemoUsers(app: INestApplication): Promise<void> {
  const users = app.get(UsersService);
  const platform = [
    { email: DEV_IDP_ACCOUNTS[0].email, displayName: DEV_IDP_ACCOUNTS[0].name, roles: ['admin', 'developer'] as const },
    { email: DEV_IDP_ACCOUNTS[1].email, displayName: DEV_IDP_ACCOUNTS[1].name, roles: ['developer'] as const },
  ];
  for (const user of platform) {
    if (!(await users.findByEmail(user.email))) await users.create({ ...user, roles: [...user.roles] });
  }
}
