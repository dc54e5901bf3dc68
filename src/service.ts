// The service's entry point. `npm run build` compiles it to dist/service.js and bundles that into
// dist/main.js (scripts/bundle-service.mjs), which `npm start` runs.
import { ConfigError } from './config/app-config.js';
import { DEV_IDP_ACCOUNTS } from './dev-idp/dev-idp-accounts.js';
import { backchannelLogoutUrl, callbackUrl, shutDownWithin, startService, type RunningService } from './bootstrap.js';
import { CONSOLES } from './consoles/consoles.js';
import { limitHeapGrowth } from './common/heap-growth.js';

const startedAt = performance.now();
limitHeapGrowth();
let service: RunningService;
try {
  service = await startService(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
printBanner(service, performance.now() - startedAt);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    const seconds = service.config.shutdownTimeoutSeconds;
    console.log(`${signal}: finishing the requests in flight (at most ${seconds} s, SHUTDOWN_TIMEOUT_SECONDS)`);
    void shutDownWithin(service, seconds).then(
      (clean) => {
        if (!clean) console.error(`Shutdown did not finish within ${seconds} s (SHUTDOWN_TIMEOUT_SECONDS); exiting anyway.`);
        process.exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        console.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  });
}

function printBanner(running: RunningService, elapsedMs: number): void {
  const { config } = running;
  const lines = [
    '',
    `Identity front door is ${running.providerAtStart.ready ? 'ready' : 'running, but sign-in is NOT ready,'} on ${config.publicUrl.origin} (started in ${(elapsedMs / 1000).toFixed(1)} s)`,
    ...CONSOLES.map((c) => `  ${c.title.padEnd(15)} ${new URL(`/${c.path}`, config.publicUrl)}`),
    `  API docs        ${new URL('/api/docs', config.publicUrl)}`,
    `  Database        ${config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${config.embeddedPostgres.dataDir}/postgres`}`,
    `  Identity        ${running.issuer}${running.devIdp ? ' (development identity provider)' : ''}`,
    ...(running.providerAtStart.ready
      ? []
      : [`  WARNING         the identity provider cannot be used yet: ${running.providerAtStart.reason} (sign-in answers 503 until it can; retried on each request)`]),
    ...running.warnings.map((warning) => `  WARNING         ${warning}`),
    `  Redirect URI to register at the identity provider: ${callbackUrl(config)}`,
    `  Back-channel logout URI to register there:          ${backchannelLogoutUrl(config)}`,
  ];
  if (running.devIdp) {
    lines.push('  Demo accounts (development identity provider only):');
    for (const account of DEV_IDP_ACCOUNTS) {
      lines.push(`    ${account.email.padEnd(22)} password ${account.password.padEnd(18)} ${account.note}`);
    }
  }
  console.log(lines.join('\n') + '\n');
}
