import { RevocationListener } from '../../src/auth/session/revocation-listener.js';
import { startService, type RunningService } from '../../src/bootstrap.js';
import { DEV_IDP_ACCOUNTS } from '../../src/dev-idp/dev-idp-accounts.js';
import { TestBrowser, type Page } from './browser.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { freePort } from './ports.js';

export interface TestService {
  url: string;
  service: RunningService;
  db: TestDatabase;
  close(): Promise<void>;
}

/**
 * The real service, in this process, on its own empty database, listening on HTTP. Without
 * OIDC_ISSUER in `env` it runs the development identity provider (a real oidc-provider).
 */
export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const db = await createTestDatabase();
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const service = await startService({
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    DATABASE_URL: db.url,
    DEV_IDP_PORT: '0',
    SESSION_SECRET: 'test-session-secret-0123456789',
    // Fixed, so instances sharing a test database read each other's stored client secrets.
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'error',
    // Tests sign in many times from one address; the limits themselves are tested with their defaults.
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    RATE_LIMIT_HANDOFFS_PER_MINUTE: '100000',
    ...env,
  });
  return {
    url: `http://localhost:${port}`,
    service,
    db,
    close: async () => {
      await service.close();
      await db.drop();
    },
  };
}

export const TEST_ENCRYPTION_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

/** Another instance on `env`'s database and provider, started as in production and without ENCRYPTION_KEY. */
export async function startInProductionWithoutEncryptionKey(env: TestService): Promise<RunningService> {
  const port = await freePort();
  return startService({
    NODE_ENV: 'production',
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    DATABASE_URL: env.db.url,
    OIDC_ISSUER: env.service.issuer,
    OIDC_CLIENT_ID: 'front-door',
    OIDC_CLIENT_SECRET: 'x',
    SESSION_SECRET: 'test-session-secret-0123456789',
    ENCRYPTION_KEY: '',
    LOG_LEVEL: 'error',
  });
}

export const [ADMIN, DEVELOPER, STRANGER] = DEV_IDP_ACCOUNTS;

/** Opens a page and, when it ends at the development provider's login form, signs in there. */
export async function signInThroughDevIdp(browser: TestBrowser, url: string, account: { email: string; password: string }): Promise<Page> {
  const page = await browser.open(url);
  if (!isDevIdpLogin(page)) return page;
  return browser.submit(page, { email: account.email, password: account.password });
}

export function isDevIdpLogin(page: Page): boolean {
  return page.status === 200 && page.body.includes('name="password"') && page.url.includes('/interaction/');
}

/** Submits the provider's logout confirmation when the browser is shown one. */
export async function confirmProviderLogout(browser: TestBrowser, page: Page): Promise<Page> {
  return page.url.includes('/session/end') && page.body.includes('<form') ? browser.submit(page) : page;
}

/**
 * Rows changed in SQL behind the service's back reach its caches through the database's
 * announcement, a moment later: this returns once the service has heard everything committed so far.
 */
export function heardByService(env: TestService): Promise<void> {
  return env.service.app.get(RevocationListener).barrier();
}
