import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { StudioError, type DesktopUser, type StudioClient } from './studio-api.js';

/** What `studio login` keeps for `whoami` and `logout`: the tokens, readable by this user only. */
export interface StoredCredentials {
  environment: string;
  client: StudioClient | 'cli';
  accessToken: string;
  expiresAt: string;
  /** Traded for a new pair when the access token expires; each works once. */
  refreshToken?: string;
  refreshExpiresAt?: string;
  user: DesktopUser;
}

export function credentialsPath(env: Record<string, string | undefined>): string {
  return env.STUDIO_CREDENTIALS_FILE?.trim() || join(homedir(), '.config', 'frontdoor-studio', 'credentials.json');
}

export async function saveCredentials(path: string, credentials: StoredCredentials): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a crash never leaves half a file; 0600 from the first byte.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

export async function loadCredentials(path: string): Promise<StoredCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = (() => {
    try {
      return JSON.parse(text) as Partial<StoredCredentials>;
    } catch {
      return undefined;
    }
  })();
  if (!parsed || typeof parsed.environment !== 'string' || typeof parsed.accessToken !== 'string' || !parsed.user) {
    throw new StudioError(`${path} is not a credentials file of this client; delete it and log in again`);
  }
  return parsed as StoredCredentials;
}

export async function deleteCredentials(path: string): Promise<void> {
  await rm(path, { force: true });
}
