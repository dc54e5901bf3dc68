import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Logger, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { RequestHandler } from 'express';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { BACKCHANNEL_LOGOUT_PATH, backchannelBodyErrors } from './auth/backchannel/backchannel-logout.controller.js';
import { loadConfig, type AppConfig } from './config/app-config.js';
import { AppExceptionFilter } from './common/exception.filter.js';
import { securityHeaders } from './common/security-headers.js';
import { bodyParsers } from './common/body-limits.js';
import { scimBodyErrors } from './provisioning/scim-error.js';
import { scimRequestMetrics } from './provisioning/scim-metrics.middleware.js';
import { MetricsService } from './observability/metrics.service.js';
import { chain } from './common/middleware-chain.js';
import { ConfigError } from './config/app-config.js';
import type { ProviderStatus } from './identity-providers/identity-provider.js';
import { IdentityProviderRegistry } from './identity-providers/identity-provider.registry.js';
import { JsonLogger } from './observability/json-logger.js';
import { requestContext } from './observability/request-context.js';
import { exceptProbes } from './health/probe-paths.js';
import { portHolder, portTakenMessage } from './health/port-holder.js';
import { SESSION_MIDDLEWARE } from './auth/session/session.constants.js';
import { openDatabase } from './database/embedded-postgres.js';
import { DEV_IDP_ACCOUNTS } from './dev-idp/dev-idp-accounts.js';
import type { DevIdp } from './dev-idp/dev-idp.js';
import { UsersService } from './users/users.service.js';
import type { OidcConnection } from './identity-providers/oidc-connection.js';
import { usesClientSecret } from './identity-providers/client-auth.js';
import { CLIENT_JWKS_PATH, ENVIRONMENT_PROVIDER_ID, providerBackchannelLogoutUrl, providerCallbackUrl } from './identity-providers/provider-urls.js';

export interface RunningService {
  app: INestApplication;
  config: AppConfig;
  url: string;
  issuer: string;
  databaseUrl: string;
  devIdp?: DevIdp;
  /** The identity provider as found at start-up; the service starts either way and retries. */
  providerAtStart: ProviderStatus;
  /** Start-up warnings worth a line of their own (configuration that cannot work as meant). */
  warnings: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where the JSON log lines go (standard output by default). */
  logDestination?: DestinationStream;
}

/** Resolves the database, then the identity provider, then starts the HTTP service. */
export async function startService(env: Record<string, string | undefined>, options: StartOptions = {}): Promise<RunningService> {
  const config = loadConfig(env);
  // Before the database and the development provider: a second start names the first one.
  if (config.port !== 0) {
    const holder = await portHolder(config.port);
    if (holder.kind !== 'free') throw new ConfigError(portTakenMessage(holder, config.port));
  }
  const logger = new Logger('Bootstrap');
  const jsonLogger = new JsonLogger(config.logLevel, options.logDestination);
  Logger.overrideLogger(jsonLogger);

  const warnings = startupWarnings(config);
  for (const warning of warnings) logger.warn(warning);

  const database = await openDatabase(config, (line) => logger.log(line));
  let devIdp: DevIdp | undefined;
  let app: NestExpressApplication | undefined;
  try {
    const resolved = await resolveIdentityProvider(config);
    devIdp = resolved.devIdp;
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, databaseUrl: database.url, oidc: resolved.oidc }), {
      logger: jsonLogger,
      // Registered below with a size limit and a depth check that runs before JSON.parse.
      bodyParser: false,
    });
    app.set('trust proxy', config.trustProxy);
    app.disable('x-powered-by');
    // Pages and answers are per user and per request: hashing each body for a conditional GET costs more than it saves.
    app.set('etag', false);
    // One layer for what every request but the probes goes through: its id and context, its log line,
    // the security headers (the provider's origin is a form target: Log out's answer redirects to its
    // end-session endpoint), the body parsers, so a body they refuse still has all of these, then the
    // console session on the routes that can use one.
    const headers = securityHeaders({ https: config.publicUrl.protocol === 'https:', formTargets: [new URL(resolved.oidc.issuer).origin] });
    // SCIM requests are counted whatever becomes of them, a body the parsers refuse included.
    app.use('/scim/v2', scimRequestMetrics(app.get(MetricsService)));
    app.use(exceptProbes(chain(requestContext, jsonLogger.requestLine, headers, bodyParsers(), app.get<RequestHandler>(SESSION_MIDDLEWARE))));
    // A logout token in a body the parsers refuse still gets back-channel logout's own answer (CONTRACT).
    app.use(BACKCHANNEL_LOGOUT_PATH, backchannelBodyErrors);
    // Likewise a SCIM request's body the parsers refuse gets a SCIM error response.
    app.use('/scim/v2', scimBodyErrors);
    app.useGlobalFilters(new AppExceptionFilter());
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    setUpSwagger(app);
    if (devIdp) await seedDemoUsers(app);
    await listen(app, config.port, 'PORT');

    // Reported now rather than at the first sign-in; the service runs either way and retries.
    const primary = app.get(IdentityProviderRegistry).primary();
    const providerAtStart: ProviderStatus = primary ? await statusWithin(primary.status(), START_CHECK_MS) : { ready: false, reason: 'no identity provider is enabled' };
    if (!providerAtStart.ready) {
      logger.warn(`The identity provider cannot be used yet (${providerAtStart.reason}); sign-in answers 503 and /readyz is not ready until it can.`);
    }
    const server = app.getHttpServer() as import('node:http').Server;
    const nest = app;
    return {
      app,
      config,
      url: config.publicUrl.origin,
      issuer: resolved.oidc.issuer,
      databaseUrl: database.url,
      devIdp,
      providerAtStart,
      warnings,
      close: async () => {
        // Stop accepting, let requests in flight finish, drop idle keep-alive sockets at once.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await nest.close();
        await devIdp?.close();
        await database.stop();
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await devIdp?.close();
    await database.stop();
    throw error;
  }
}

/** Start-up waits this long for the provider's discovery before reporting it as not answering. */
const START_CHECK_MS = 3_000;

function statusWithin(status: Promise<ProviderStatus>, ms: number): Promise<ProviderStatus> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ProviderStatus>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, reason: `no answer within ${ms / 1000} s (still trying)` }), ms);
  });
  return Promise.race([status, late]).finally(() => clearTimeout(timer));
}

/**
 * Closes the service within `seconds`, or gives up waiting: SIGTERM must end the process even
 * when a request or a connection hangs. Resolves true when everything closed in time.
 */
export async function shutDownWithin(service: Pick<RunningService, 'close'>, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), seconds * 1000);
  });
  try {
    return await Promise.race([service.close().then(() => true as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Configuration that starts but cannot work as the operator meant it. In production some of it stops start-up. */
export function startupWarnings(config: AppConfig): string[] {
  const warnings: string[] = [];
  if (config.publicUrl.protocol === 'https:' && !config.trustProxy) {
    const line =
      'PUBLIC_URL is https but TRUST_PROXY is not set: behind a TLS-terminating proxy the session cookie (Secure) is never sent and every sign-in ends in "Sign-in expired". Set TRUST_PROXY to the proxy.';
    if (config.production) throw new ConfigError(line);
    warnings.push(line);
  }
  return warnings;
}

/**
 * Listens, turning a port in use into one line that names the port and the variable to change.
 * The HTTP server is started here rather than by `app.listen`, which would log its own stack first.
 */
async function listen(app: INestApplication, port: number, variable: string): Promise<void> {
  await app.init();
  const server = app.getHttpServer() as import('node:http').Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new ConfigError(`Port ${port} is already in use: stop what uses it or set ${variable} to a free port.`) : error);
    });
    server.listen(port, '0.0.0.0', () => resolve());
  });
}

async function resolveIdentityProvider(config: AppConfig): Promise<{ oidc: OidcConnection; devIdp?: DevIdp }> {
  if (config.oidc.issuer) {
    return { oidc: { issuer: config.oidc.issuer, clientId: config.oidc.clientId, clientSecret: config.oidc.clientSecret, clientAuth: config.oidc.clientAuth } };
  }
  // Loaded only here, so a service with a real provider never loads the development one.
  const { startDevIdp, DEV_JIT_CLIENT } = await import('./dev-idp/dev-idp.js');
  // With private_key_jwt the development provider knows the service by its JWKS URL, and no secret exists.
  const clientSecret = usesClientSecret(config.oidc.clientAuth) ? randomBytes(24).toString('base64url') : '';
  const devIdp = await startDevIdp({
    port: config.oidc.devIdpPort,
    clients: [
      {
        clientId: config.oidc.clientId,
        clientSecret,
        tokenEndpointAuthMethod: config.oidc.clientAuth,
        jwksUri: new URL(CLIENT_JWKS_PATH, config.publicUrl).toString(),
        redirectUris: [callbackUrl(config)],
        postLogoutRedirectUris: [new URL('/auth/signed-out', config.publicUrl).toString()],
        backchannelLogoutUri: backchannelLogoutUrl(config),
      },
      {
        clientId: DEV_JIT_CLIENT.clientId,
        clientSecret: DEV_JIT_CLIENT.clientSecret,
        redirectUris: [new URL(`/auth/callback/${DEV_JIT_CLIENT.providerId}`, config.publicUrl).toString()],
        postLogoutRedirectUris: [new URL('/auth/signed-out', config.publicUrl).toString()],
      },
    ],
  }).catch((error: unknown) => {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    throw new ConfigError(
      `Port ${config.oidc.devIdpPort} (the development identity provider's, PORT+1 unless set) is already in use: set DEV_IDP_PORT to a free port, or set OIDC_ISSUER to use a real provider.`,
    );
  });
  return { oidc: { issuer: devIdp.issuer, clientId: config.oidc.clientId, clientSecret, clientAuth: config.oidc.clientAuth }, devIdp };
}

/** The redirect URI of the OIDC_* provider, printed at start-up for registration at the provider. */
export function callbackUrl(config: AppConfig): string {
  return providerCallbackUrl(config.publicUrl, ENVIRONMENT_PROVIDER_ID);
}

/** Its back-channel logout URI, printed beside it and registered at the development provider. */
export function backchannelLogoutUrl(config: AppConfig): string {
  return providerBackchannelLogoutUrl(config.publicUrl, ENVIRONMENT_PROVIDER_ID);
}

/**
 * The OpenAPI document is built on the first request to /api/docs or /api/docs-json, then kept:
 * scanning every controller and DTO takes a noticeable part of start-up, and most instances never
 * serve it.
 */
function setUpSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Identity front door')
    .setDescription('Sign-in for the management consoles and the desktop Studios, and user administration.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Admin API token (npm run cli -- tokens create --email …)' }, 'admin-token')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Desktop token from POST /api/desktop/handoffs/{id}/token' }, 'desktop-token')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'SCIM token from POST /api/admin/scim-tokens (only under /scim/v2)' }, 'scim-token')
    .addCookieAuth('frontdoor.sid', { type: 'apiKey', in: 'cookie', description: 'Session of a signed-in admin (same origin)' }, 'session')
    .build();
  // A factory: Swagger calls it on the first request and keeps what it returns.
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'api/docs-json' });
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
