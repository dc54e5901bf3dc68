import { ConfigError } from './config/app-config.js';
import { DEV_IDP_ACCOUNTS } from './dev-idp/dev-idp-accounts.js';
import { backchannelLogoutUrl, callbackUrl, startService, type RunningService } from './bootstrap.js';
import { CONSOLES } from './consoles/consoles.js';

const startedAt = performance.now();
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

function printBanner(running: RunningService, elapsedMs: number): void {
  const { config } = running;
  const lines = [
    '',
    `Identity front door is ready on ${config.publicUrl.origin} (started in ${(elapsedMs / 1000).toFixed(1)} s)`,
    ...CONSOLES.map((c) => `  ${c.title.padEnd(15)} ${new URL(`/${c.path}`, config.publicUrl)}`),
    `  API docs        ${new URL('/api/docs', config.publicUrl)}`,
    `  Database        ${config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${config.embeddedPostgres.dataDir}/postgres`}`,
    `  Identity        ${running.issuer}${running.devIdp ? ' (development identity provider)' : ''}`,
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
