import { expect } from 'vitest';
import { ApiTokensService } from '../../src/auth/api-tokens.service.js';
import { startService, type RunningService } from '../../src/bootstrap.js';
import type { TestBrowser } from './browser.js';
import { freePort } from './ports.js';
import { DEVELOPER, signInThroughDevIdp } from './service.js';

export interface ServiceOnFragileDatabase {
  service: RunningService;
  url: string;
  adminToken: string;
}

/**
 * The service on a database that the test is about to freeze or stop, with short database
 * timeouts, an admin API token, and `browser` signed in to Service Center.
 */
export async function startOnFragileDatabase(databaseUrl: string, browser: TestBrowser): Promise<ServiceOnFragileDatabase> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const service = await startService({
    PORT: String(port),
    PUBLIC_URL: url,
    DATABASE_URL: databaseUrl,
    DEV_IDP_PORT: '0',
    SESSION_SECRET: 'test-session-secret-0123456789',
    LOG_LEVEL: 'error',
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    DATABASE_STATEMENT_TIMEOUT_MS: '1500',
    // Every request here must reach the database: a session served in the last few seconds would
    // otherwise come from the short-lived cache (test/session-revocation.e2e-spec.ts covers it).
    SESSION_CACHE_SECONDS: '0',
  });
  const adminToken = (await service.app.get(ApiTokensService).create('admin@example.com')).token;
  expect((await signInThroughDevIdp(browser, `${url}/servicecenter`, DEVELOPER)).status).toBe(200);
  return { service, url, adminToken };
}
