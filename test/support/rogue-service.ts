import { startService, type RunningService } from '../../src/bootstrap.js';
import { UsersService } from '../../src/users/users.service.js';
import { TestBrowser, type Page } from './browser.js';
import { startRogueOp, type RogueOp, type RogueOpOptions } from './rogue-op.js';
import { freePort } from './ports.js';
import { startTestService, TEST_ENCRYPTION_KEY, type TestService } from './service.js';

export const ROGUE_CLIENT = { clientId: 'front-door-test', clientSecret: 'rogue-client-secret-0123456789' };

export interface RogueEnvironment {
  op: RogueOp;
  env: TestService;
  users: UsersService;
  close(): Promise<void>;
}

/** The service pointed at the misbehaving test provider, for the relying party's attack tests. */
export async function startRogueEnvironment(options: Partial<RogueOpOptions> = {}, extraEnv: Record<string, string> = {}): Promise<RogueEnvironment> {
  const op = await startRogueOp({ ...ROGUE_CLIENT, ...options });
  const env = await startTestService({
    OIDC_ISSUER: op.issuer,
    OIDC_CLIENT_ID: ROGUE_CLIENT.clientId,
    OIDC_CLIENT_SECRET: ROGUE_CLIENT.clientSecret,
    ...extraEnv,
  });
  return {
    op,
    env,
    users: env.service.app.get(UsersService),
    close: async () => {
      await env.close();
      await op.close();
    },
  };
}

/**
 * A second instance of the service on the rogue environment's database and provider, with the same
 * public URL, as behind a load balancer (each listens on its own port here). It shares the first
 * one's rate-limit counters, so its sign-ins get the same high test limits.
 */
export async function startSecondInstance(rig: RogueEnvironment, extraEnv: Record<string, string> = {}): Promise<{ service: RunningService; url: string }> {
  const port = await freePort();
  const service = await startService({
    PORT: String(port),
    PUBLIC_URL: rig.env.url,
    DATABASE_URL: rig.env.db.url,
    OIDC_ISSUER: rig.op.issuer,
    OIDC_CLIENT_ID: ROGUE_CLIENT.clientId,
    OIDC_CLIENT_SECRET: ROGUE_CLIENT.clientSecret,
    SESSION_SECRET: 'test-session-secret-0123456789',
    // The first instance's: stored secrets and signing keys are sealed with it.
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'error',
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    RATE_LIMIT_HANDOFFS_PER_MINUTE: '100000',
    ...extraEnv,
  });
  return { service, url: `http://localhost:${port}` };
}

/** A console visit that goes through the whole (instant) provider round trip. */
export function visitConsole(env: TestService, browser = new TestBrowser(), path = '/servicecenter'): Promise<Page> {
  return browser.open(`${env.url}${path}`);
}

export async function signedInSessions(env: TestService): Promise<number> {
  const [row] = await env.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions WHERE user_id IS NOT NULL');
  return Number(row.n);
}
