import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCredentials, type StoredCredentials } from '../src/studio-client/credentials.js';
import { runStudio } from '../src/studio-client/studio-cli.js';
import { TestBrowser } from './support/browser.js';
import { desktopLogin, desktopMe, refresh } from './support/desktop-login.js';
import { DEVELOPER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

/** The reference Studio client keeps its sign-in by refreshing its tokens by itself. */
describe('reference client token refresh', () => {
  let env: TestService;
  let folder: string;
  let browser: TestBrowser;

  beforeAll(async () => {
    env = await startTestService();
    folder = await mkdtemp(join(tmpdir(), 'studio-refresh-'));
    browser = new TestBrowser();
    expect((await signInThroughDevIdp(browser, `${env.url}/servicecenter`, DEVELOPER)).status).toBe(200);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
    await env?.close();
  });

  async function storedLogin(file: string, overrides: Partial<StoredCredentials> = {}): Promise<StoredCredentials> {
    const tokens = await desktopLogin(env.url, browser);
    const stored: StoredCredentials = {
      environment: env.url,
      client: 'service-studio',
      accessToken: tokens.accessToken,
      expiresAt: new Date(Date.now() + tokens.expiresIn * 1000).toISOString(),
      refreshToken: tokens.refreshToken,
      user: tokens.user,
      ...overrides,
    };
    await saveCredentials(file, stored);
    return stored;
  }

  function io(file: string, out: string[], err: string[]) {
    return { env: { STUDIO_CREDENTIALS_FILE: file }, out: (line: string) => out.push(line), err: (line: string) => err.push(line), openBrowser: () => {} };
  }

  it('refreshes an expired access token before using it, and keeps the new pair', async () => {
    const file = join(folder, 'expired.json');
    const before = await storedLogin(file, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    const out: string[] = [];
    expect(await runStudio(['whoami'], io(file, out, []))).toBe(0);
    expect(out[0]).toContain(`Logged in as ${DEVELOPER.name}`);
    const after = JSON.parse(await readFile(file, 'utf8')) as StoredCredentials;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await desktopMe(env.url, after.accessToken)).status).toBe(200);
    // The old refresh token was used: the client must never present it again.
    expect((await refresh(env.url, before.refreshToken)).status).toBe(400);
  });

  it('refreshes when the service refuses the access token, then retries once', async () => {
    const file = join(folder, 'refused.json');
    const before = await storedLogin(file);
    // The access token alone is gone (as after a short TTL on the server), the refresh token still works.
    await env.db.query('DELETE FROM desktop_tokens WHERE family_id = (SELECT family_id FROM desktop_refresh_tokens WHERE token_hash = encode(sha256($1::bytea), $2))', [before.refreshToken, 'hex']);
    expect((await desktopMe(env.url, before.accessToken)).status).toBe(401);
    const out: string[] = [];
    expect(await runStudio(['whoami'], io(file, out, []))).toBe(0);
    expect(out[0]).toContain(`Logged in as ${DEVELOPER.name}`);
  });

  it('asks for a new login when the refresh is refused', async () => {
    const file = join(folder, 'ended.json');
    const before = await storedLogin(file, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect((await fetch(`${env.url}/api/desktop/logout`, { method: 'POST', headers: { authorization: `Bearer ${before.accessToken}` } })).status).toBe(204);
    const err: string[] = [];
    expect(await runStudio(['whoami'], io(file, [], err))).toBe(1);
    expect(err.at(-1)).toContain('Log in again');
  });
});
