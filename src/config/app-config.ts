import { hostname } from 'node:os';
import { checkProviderAccess, type ProviderAccess } from '../access/provider-access.js';
import { parseAllowedAddresses } from '../common/address-policy.js';
import { parseEncryptionKey } from '../common/secret-box.js';
import { CLIENT_AUTH_METHODS, DEFAULT_CLIENT_AUTH, isClientAuthMethod, usesClientSecret, type ClientAuthMethod } from '../identity-providers/client-auth.js';
import { checkEmailDomains } from '../identity-providers/provider-rules.js';
import { DEFAULT_HANDOFFS_PER_MINUTE, DEFAULT_LOGIN_PER_MINUTE } from '../limits/rate-limit.buckets.js';

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
    /** How the service authenticates to the environment's provider (OIDC_CLIENT_AUTH). */
    clientAuth: ClientAuthMethod;
    scopes: string[];
    matchClaim: 'email' | 'preferred_username';
    /** OIDC_EMAIL_DOMAINS: the only domains whose users this provider may link (and send to the chooser). */
    emailDomains: string[];
    /** OIDC_TRUST_EMAIL, OIDC_ROLE_SOURCE, OIDC_ROLE_RULES, OIDC_PROVISIONING. */
    access: ProviderAccess;
    displayName: string;
    devIdpPort: number;
    jwksCooldownSeconds: number;
    /** Bound of every outgoing call to an identity provider (sign-in and the provider Test). */
    httpTimeoutMs: number;
    /** How often the cached provider Test behind readiness is refreshed. */
    testIntervalSeconds: number;
    /** Non-public addresses provider URLs may resolve to (ALLOW_PRIVATE_PROVIDER_ADDRESSES): addresses or CIDR ranges. */
    allowedPrivateAddresses: string[];
  };
  /** Key for secrets at rest, client secrets and assertion signing keys (ENCRYPTION_KEY); undefined: generated under the data dir outside production. */
  encryptionKey?: Buffer;
  session: {
    secret: string;
    idleTimeoutSeconds: number;
    absoluteTimeoutSeconds: number;
    secureCookie: boolean;
    /** How long a session, user or desktop token read from the database may be served from memory; 0 turns caching off. */
    cacheSeconds: number;
  };
  desktop: { handoffTtlSeconds: number; tokenTtlSeconds: number; refreshTtlSeconds: number; backchannelLogout: 'revoke' | 'keep' };
  audit: { retentionDays: number };
  /** Local password sign-in for admins to LifeTime when the identity provider is down. */
  breakGlass: { enabled: boolean; sessionSeconds: number };
  /** When set, /metrics answers only to this bearer token; otherwise only to loopback callers. */
  metricsToken?: string;
  device: { codeTtlSeconds: number; pollIntervalSeconds: number; guessLimitPerAddress: number; guessLimitPerSession: number };
  forwardAuth: { protectedApps: ProtectedApp[]; cookieDomain?: string; keyRotationSeconds: number };
  /** The RS256 keys of private_key_jwt client assertions: how long each signs, and how long it is published before. */
  clientAssertion: { keyRotationSeconds: number; publishAheadSeconds: number };
  /** Express's `trust proxy`: false, true, or the addresses/subnets of the proxies believed. */
  trustProxy: boolean | string[];
  /** Connection and statement bounds of the database pool. */
  database: { connectTimeoutMs: number; statementTimeoutMs: number };
  /** How long SIGTERM may take before the process exits anyway. */
  shutdownTimeoutSeconds: number;
  /** Requests per window, per bucket (see src/limits/rate-limit.buckets.ts). */
  rateLimits: RateLimitSettings;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
}

export interface RateLimitSettings {
  enabled: boolean;
  loginPerMinute: number;
  handoffsPerMinute: number;
  redeemAttempts: number;
  scimPerMinute: number;
}

/** A web app behind a reverse proxy that asks this service who may enter (forward auth). */
export interface ProtectedApp {
  /** `scheme://host[:port]`, exactly as a browser writes the origin. */
  origin: string;
  name: string;
  /** Without a role any active user may enter. */
  role?: 'admin' | 'developer';
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

  const clientAuth = env.OIDC_CLIENT_AUTH?.trim() || DEFAULT_CLIENT_AUTH;
  if (!isClientAuthMethod(clientAuth)) problems.push(`OIDC_CLIENT_AUTH must be one of ${CLIENT_AUTH_METHODS.join(', ')}, not "${clientAuth}"`);
  if (production) {
    // With private_key_jwt the service signs in with its own key: there is no secret to ask for.
    const secret = isClientAuthMethod(clientAuth) && !usesClientSecret(clientAuth) ? [] : ['OIDC_CLIENT_SECRET'];
    const missing = ['DATABASE_URL', 'OIDC_ISSUER', 'OIDC_CLIENT_ID', ...secret, 'SESSION_SECRET'].filter(
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
  const breakGlassEnabled = env.BREAK_GLASS_ENABLED?.trim().toLowerCase() || 'true';
  if (!['true', 'false'].includes(breakGlassEnabled)) problems.push(`BREAK_GLASS_ENABLED must be true or false, not "${env.BREAK_GLASS_ENABLED}"`);
  const backchannelDesktop = env.BACKCHANNEL_LOGOUT_DESKTOP?.trim() || 'revoke';
  if (backchannelDesktop !== 'revoke' && backchannelDesktop !== 'keep') problems.push(`BACKCHANNEL_LOGOUT_DESKTOP must be "revoke" or "keep", not "${backchannelDesktop}"`);
  const encryptionKey = env.ENCRYPTION_KEY?.trim() ? parseEncryptionKey(env.ENCRYPTION_KEY) : undefined;
  if (env.ENCRYPTION_KEY?.trim() && !encryptionKey) problems.push('ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)');
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
      clientAuth: isClientAuthMethod(clientAuth) ? clientAuth : DEFAULT_CLIENT_AUTH,
      scopes: (env.OIDC_SCOPES?.trim() || 'openid profile email').split(/\s+/),
      matchClaim: matchClaim as AppConfig['oidc']['matchClaim'],
      emailDomains: emailDomains(env.OIDC_EMAIL_DOMAINS, problems),
      access: providerAccess(env, problems),
      displayName: env.OIDC_DISPLAY_NAME?.trim() || (issuer ? new URL(issuer).hostname : 'Development identity provider'),
      devIdpPort: integer(env, 'DEV_IDP_PORT', port === 0 ? 0 : port + 1, problems, { min: 0, max: 65535 }),
      jwksCooldownSeconds: integer(env, 'OIDC_JWKS_COOLDOWN_SECONDS', 30, problems, { min: 0, max: 3600 }),
      httpTimeoutMs: integer(env, 'OIDC_HTTP_TIMEOUT_MS', 10_000, problems, { min: 100, max: 120_000 }),
      testIntervalSeconds: integer(env, 'OIDC_TEST_INTERVAL_SECONDS', 60, problems, { min: 5, max: 3600 }),
      allowedPrivateAddresses: parseAllowedAddresses(env.ALLOW_PRIVATE_PROVIDER_ADDRESSES, production, problems),
    },
    encryptionKey,
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
      tokenTtlSeconds: integer(env, 'DESKTOP_TOKEN_TTL_SECONDS', 3600, problems, { min: 60 }),
      refreshTtlSeconds: integer(env, 'DESKTOP_REFRESH_TTL_SECONDS', 30 * 24 * 3600, problems, { min: 60 }),
      backchannelLogout: backchannelDesktop as 'revoke' | 'keep',
    },
    breakGlass: {
      enabled: breakGlassEnabled !== 'false',
      sessionSeconds: integer(env, 'BREAK_GLASS_SESSION_SECONDS', 15 * 60, problems, { min: 60, max: 12 * 3600 }),
    },
    audit: { retentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 90, problems, { min: 1 }) },
    metricsToken: env.METRICS_TOKEN?.trim() || undefined,
    device: {
      codeTtlSeconds: integer(env, 'DEVICE_CODE_TTL_SECONDS', 600, problems, { min: 60, max: 3600 }),
      pollIntervalSeconds: integer(env, 'DEVICE_POLL_INTERVAL_SECONDS', 5, problems, { min: 1, max: 60 }),
      guessLimitPerAddress: integer(env, 'DEVICE_GUESS_LIMIT_PER_ADDRESS', 30, problems, { min: 1, max: 10_000 }),
      guessLimitPerSession: integer(env, 'DEVICE_GUESS_LIMIT_PER_SESSION', 5, problems, { min: 1, max: 1000 }),
    },
    forwardAuth: {
      protectedApps: protectedApps(env.PROTECTED_APPS, problems),
      cookieDomain: cookieDomain(env.COOKIE_DOMAIN, publicUrl, problems),
      keyRotationSeconds: integer(env, 'ASSERTION_KEY_ROTATION_SECONDS', 7 * 24 * 3600, problems, { min: 3600 }),
    },
    clientAssertion: clientAssertionKeys(env, problems),
    trustProxy: trustProxy(env.TRUST_PROXY),
    database: {
      connectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 2_000, problems, { min: 100, max: 60_000 }),
      statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 3_000, problems, { min: 100, max: 600_000 }),
    },
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 15, problems, { min: 1, max: 600 }),
    rateLimits: {
      enabled: env.RATE_LIMITS_ENABLED?.trim() !== 'false',
      loginPerMinute: integer(env, 'RATE_LIMIT_LOGIN_PER_MINUTE', DEFAULT_LOGIN_PER_MINUTE, problems, { min: 1 }),
      handoffsPerMinute: integer(env, 'RATE_LIMIT_HANDOFFS_PER_MINUTE', DEFAULT_HANDOFFS_PER_MINUTE, problems, { min: 1 }),
      redeemAttempts: integer(env, 'RATE_LIMIT_REDEEM_ATTEMPTS', 5, problems, { min: 1, max: 100 }),
      scimPerMinute: integer(env, 'RATE_LIMIT_SCIM_PER_MINUTE', 1200, problems, { min: 1 }),
    },
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

/** A client assertion key signs for a rotation period and is published ahead of it, long enough to upload its certificate. */
function clientAssertionKeys(env: Env, problems: string[]): AppConfig['clientAssertion'] {
  const keyRotationSeconds = integer(env, 'CLIENT_ASSERTION_KEY_ROTATION_SECONDS', 90 * 24 * 3600, problems, { min: 3600 });
  const publishAheadSeconds = integer(env, 'CLIENT_ASSERTION_KEY_PUBLISH_AHEAD_SECONDS', 14 * 24 * 3600, problems, { min: 900 });
  if (publishAheadSeconds >= keyRotationSeconds) {
    problems.push('CLIENT_ASSERTION_KEY_PUBLISH_AHEAD_SECONDS must be shorter than CLIENT_ASSERTION_KEY_ROTATION_SECONDS');
  }
  return { keyRotationSeconds, publishAheadSeconds };
}

function emailDomains(raw: string | undefined, problems: string[]): string[] {
  const listed = (raw ?? '').split(',').map((domain) => domain.trim()).filter(Boolean);
  const { emailDomains: domains, badDomains } = checkEmailDomains(listed);
  if (badDomains.length > 0) problems.push(`OIDC_EMAIL_DOMAINS must be comma-separated domain names like example.com (not ${badDomains.join(', ')})`);
  return domains;
}

/** The environment provider's trust and role settings, each problem naming its variable. */
function providerAccess(env: Env, problems: string[]): ProviderAccess {
  const raw: Partial<Record<keyof ProviderAccess, unknown>> = {};
  const trust = env.OIDC_TRUST_EMAIL?.trim().toLowerCase();
  if (trust) raw.trustEmail = trust === 'true' ? true : trust === 'false' ? false : trust;
  if (env.OIDC_ROLE_SOURCE?.trim()) raw.roleSource = env.OIDC_ROLE_SOURCE.trim();
  if (env.OIDC_PROVISIONING?.trim()) raw.provisioning = env.OIDC_PROVISIONING.trim();
  if (env.OIDC_ROLE_RULES?.trim()) {
    try {
      raw.roleRules = JSON.parse(env.OIDC_ROLE_RULES);
    } catch {
      problems.push('OIDC_ROLE_RULES must be JSON: an array of {"claim", "value", "role"}, e.g. [{"claim":"groups","value":"platform-admins","role":"admin"}]');
      raw.roleRules = [];
    }
  }
  const checked = checkProviderAccess(raw, { trustEmail: 'OIDC_TRUST_EMAIL', roleSource: 'OIDC_ROLE_SOURCE', roleRules: 'OIDC_ROLE_RULES', provisioning: 'OIDC_PROVISIONING' });
  problems.push(...checked.problems);
  return checked.access;
}

function trustProxy(raw: string | undefined): boolean | string[] {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  return value.split(',').map((part) => part.trim()).filter(Boolean);
}

/** PROTECTED_APPS: a JSON array of `{origin, name, role?}`; each origin must be a bare http(s) origin. */
export function protectedApps(raw: string | undefined, problems: string[]): ProtectedApp[] {
  if (!raw?.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('PROTECTED_APPS must be a JSON array of {"origin", "name", "role"?}');
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push('PROTECTED_APPS must be a JSON array of {"origin", "name", "role"?}');
    return [];
  }
  const apps: ProtectedApp[] = [];
  parsed.forEach((entry: unknown, index) => {
    const app = entry as Partial<Record<keyof ProtectedApp, unknown>> | null;
    const where = `PROTECTED_APPS[${index}]`;
    if (typeof app !== 'object' || app === null) return void problems.push(`${where} must be an object`);
    let origin: string | undefined;
    try {
      const url = new URL(String(app.origin));
      // The origin alone: a path, query or userinfo would make the match ambiguous.
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === String(app.origin).replace(/\/$/, '')) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (!origin) return void problems.push(`${where}.origin must be an origin like https://app.example.com, not "${String(app.origin)}"`);
    if (typeof app.name !== 'string' || !app.name.trim()) return void problems.push(`${where}.name must be a non-empty string`);
    if (app.role !== undefined && app.role !== 'admin' && app.role !== 'developer') return void problems.push(`${where}.role must be "admin" or "developer"`);
    if (apps.some((known) => known.origin === origin)) return void problems.push(`${where}.origin ${origin} is listed twice`);
    apps.push({ origin, name: app.name.trim(), ...(app.role ? { role: app.role } : {}) });
  });
  return apps;
}

/** The session cookie may be widened to a parent domain of PUBLIC_URL's host, never to another site. */
function cookieDomain(raw: string | undefined, publicUrl: URL, problems: string[]): string | undefined {
  const domain = raw?.trim().replace(/^\./, '').toLowerCase();
  if (!domain) return undefined;
  const host = publicUrl.hostname.toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(domain) || !(host === domain || host.endsWith(`.${domain}`))) {
    problems.push(`COOKIE_DOMAIN must be PUBLIC_URL's host or a parent domain of it (${host}), not "${raw}"`);
    return undefined;
  }
  return domain;
}

function randomSecret(): string {
  return crypto.randomUUID() + crypto.randomUUID();
}
