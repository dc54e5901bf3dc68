import { hostname } from 'node:os';

/** Typed, validated configuration: the one place that reads environment variables. */
export interface AppConfig {
  production: boolean;
  port: number;
  publicUrl: URL;
  environmentName: string;
  databaseUrl?: string;
  embeddedPostgres: { dataDir: string; port: number };
  oidc: {
    issuer?: string;
    clientId: string;
    clientSecret: string;
    scopes: string[];
    matchClaim: 'email' | 'preferred_username';
    displayName: string;
    devIdpPort: number;
    jwksCooldownSeconds: number;
  };
  session: {
    secret: string;
    idleTimeoutSeconds: number;
    absoluteTimeoutSeconds: number;
    secureCookie: boolean;
    /** How long a session, user or desktop token read from the database may be served from memory; 0 turns caching off. */
    cacheSeconds: number;
  };
  desktop: { handoffTtlSeconds: number; tokenTtlSeconds: number };
  trustProxy: boolean;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
}

export class ConfigError extends Error {}

export const APP_CONFIG = Symbol('APP_CONFIG');

type Env = Record<string, string | undefined>;

/** Reads and validates the environment once, at boot. Throws one ConfigError naming every problem. */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const port = integer(env, 'PORT', 3000, problems, { min: 0, max: 65535 });
  const publicUrl = url(env, 'PUBLIC_URL', `http://localhost:${port}`, problems);

  if (production) {
    const missing = ['DATABASE_URL', 'OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'SESSION_SECRET'].filter(
      (name) => !env[name]?.trim(),
    );
    if (missing.length > 0) {
      problems.push(`NODE_ENV=production needs ${missing.join(', ')} (missing)`);
    }
  }
  const issuer = env.OIDC_ISSUER?.trim() || undefined;
  if (issuer) {
    url(env, 'OIDC_ISSUER', issuer, problems);
    if (!env.OIDC_CLIENT_ID?.trim() && !production) problems.push('OIDC_ISSUER is set but OIDC_CLIENT_ID is missing');
  }
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) {
    problems.push('DATABASE_URL must be a postgres:// URL');
  }
  const matchClaim = env.OIDC_MATCH_CLAIM?.trim() || 'email';
  if (matchClaim !== 'email' && matchClaim !== 'preferred_username') {
    problems.push(`OIDC_MATCH_CLAIM must be "email" or "preferred_username", not "${matchClaim}"`);
  }
  const sessionSecret = env.SESSION_SECRET?.trim() || undefined;
  if (sessionSecret && sessionSecret.length < 16) problems.push('SESSION_SECRET must be at least 16 characters');
  const logLevel = env.LOG_LEVEL?.trim() || 'log';
  if (!['error', 'warn', 'log', 'debug'].includes(logLevel)) problems.push('LOG_LEVEL must be error, warn, log or debug');

  const config: AppConfig = {
    production,
    port,
    publicUrl,
    environmentName: env.ENVIRONMENT_NAME?.trim() || publicUrl.hostname || hostname(),
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    embeddedPostgres: {
      dataDir: env.DATA_DIR?.trim() || '.data',
      port: integer(env, 'EMBEDDED_PG_PORT', 54329, problems, { min: 1, max: 65535 }),
    },
    oidc: {
      issuer,
      clientId: env.OIDC_CLIENT_ID?.trim() || 'front-door',
      clientSecret: env.OIDC_CLIENT_SECRET ?? '',
      scopes: (env.OIDC_SCOPES?.trim() || 'openid profile email').split(/\s+/),
      matchClaim: matchClaim as AppConfig['oidc']['matchClaim'],
      displayName: env.OIDC_DISPLAY_NAME?.trim() || (issuer ? new URL(issuer).hostname : 'Development identity provider'),
      devIdpPort: integer(env, 'DEV_IDP_PORT', port === 0 ? 0 : port + 1, problems, { min: 0, max: 65535 }),
      jwksCooldownSeconds: integer(env, 'OIDC_JWKS_COOLDOWN_SECONDS', 30, problems, { min: 0, max: 3600 }),
    },
    session: {
      // Outside production an unset secret is fine: a fresh one per start only signs out everybody.
      secret: sessionSecret ?? randomSecret(),
      idleTimeoutSeconds: integer(env, 'SESSION_IDLE_TIMEOUT_SECONDS', 30 * 60, problems, { min: 60 }),
      absoluteTimeoutSeconds: integer(env, 'SESSION_ABSOLUTE_TIMEOUT_SECONDS', 12 * 3600, problems, { min: 60 }),
      secureCookie: publicUrl.protocol === 'https:',
      cacheSeconds: integer(env, 'SESSION_CACHE_SECONDS', 5, problems, { min: 0, max: 60 }),
    },
    desktop: {
      handoffTtlSeconds: integer(env, 'HANDOFF_TTL_SECONDS', 600, problems, { min: 30, max: 3600 }),
      tokenTtlSeconds: integer(env, 'DESKTOP_TOKEN_TTL_SECONDS', 12 * 3600, problems, { min: 60 }),
    },
    trustProxy: env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1',
    logLevel: logLevel as AppConfig['logLevel'],
  };
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return config;
}

function integer(env: Env, name: string, fallback: number, problems: string[], range: { min?: number; max?: number }): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  const ok = Number.isInteger(value) && value >= (range.min ?? -Infinity) && value <= (range.max ?? Infinity);
  if (!ok) problems.push(`${name} must be an integer${range.min !== undefined ? ` >= ${range.min}` : ''}${range.max !== undefined ? ` and <= ${range.max}` : ''}, not "${raw}"`);
  return ok ? value : fallback;
}

function url(env: Env, name: string, fallback: string, problems: string[]): URL {
  const raw = env[name]?.trim() || fallback;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    return parsed;
  } catch {
    problems.push(`${name} must be an http(s) URL, not "${raw}"`);
    return new URL('http://localhost');
  }
}

function randomSecret(): string {
  return crypto.randomUUID() + crypto.randomUUID();
}
