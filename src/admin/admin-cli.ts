import { parseArgs } from 'node:util';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiToken } from '../auth/api-token.entity.js';
import { ApiTokensService } from '../auth/api-tokens.service.js';
import { BreakGlassPasswordsService } from '../auth/break-glass/break-glass-passwords.service.js';
import { DomainException } from '../common/domain.exception.js';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { openDatabase } from '../database/embedded-postgres.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';

const USAGE = `Usage:
  npm run cli -- users add --email <email> [--name <name>] [--admin]
  npm run cli -- users set-password --email <email>  (reads the admin's break-glass password from stdin)
  npm run cli -- tokens create --email <email>     (prints the new admin API token alone on stdout)`;

@Module({})
class CliModule {
  static forDatabase(url: string): DynamicModule {
    return {
      module: CliModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(url)), TypeOrmModule.forFeature([ApiToken]), UsersModule],
      providers: [ApiTokensService, BreakGlassPasswordsService],
    };
  }
}

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
  /** Standard input, read to its end (the break-glass password), so it never appears in arguments or history. */
  readInput?(): Promise<string>;
}

/** Administration against the configured database (the running service's embedded one, too). */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, name: { type: 'string' }, admin: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals.join(' ');
  if (values.help || !['users add', 'users set-password', 'tokens create'].includes(command) || !values.email) {
    io.err(USAGE);
    return values.help ? 0 : 2;
  }

  // Read before the database opens, so a missing password costs nothing.
  const password = command === 'users set-password' ? ((await io.readInput?.()) ?? '').replace(/\r?\n$/, '') : undefined;
  const config = loadConfig(env);
  const database = await openDatabase(config);
  const app = await NestFactory.createApplicationContext(CliModule.forDatabase(database.url), { logger: ['fatal', 'error'] });
  try {
    if (command === 'users add') {
      const user = await app.get(UsersService).create({ email: values.email, displayName: values.name, roles: values.admin ? ['admin', 'developer'] : ['developer'] });
      io.err(`Created user ${user.email} (${user.id}) with roles ${user.roles.join(', ')}`);
      io.out(user.id);
    } else if (password !== undefined) {
      const user = await app.get(BreakGlassPasswordsService).setPassword(values.email, password);
      io.err(`Break-glass password set for ${user.email}. It signs in at /auth/break-glass, to LifeTime only.`);
    } else {
      const { token, user } = await app.get(ApiTokensService).create(values.email);
      io.err(`Admin API token for ${user.email}; it is shown once, keep it safe:`);
      io.out(token);
    }
    return 0;
  } finally {
    await app.close();
    await database.stop();
  }
}

/** Errors a person caused (bad input, unknown user): one line, no stack. */
export function isUserError(error: unknown): boolean {
  return error instanceof DomainException || error instanceof ConfigError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
}
