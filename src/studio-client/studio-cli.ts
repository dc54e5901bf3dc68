import { parseArgs } from 'node:util';
import { deleteCredentials, credentialsPath, loadCredentials, saveCredentials } from './credentials.js';
import { deviceLogin, type DeviceClient } from './device-login.js';
import { isStudioClient, STUDIO_TITLES, StudioError, type DesktopUser } from './studio-api.js';
import { studioLogin } from './studio-login.js';
import { callWithFreshToken } from './studio-session.js';

/** Everything the command line touches, so tests drive the same code with their own browser and output. */
export interface StudioIo {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
  /** Opens the login page where a desktop exists; may do nothing. */
  openBrowser(url: string): void | Promise<void>;
  signal?: AbortSignal;
}

const USAGE = `Usage:
  npm run studio -- login --environment <url> [--client service-studio|integration-studio]
  npm run studio -- login --device --environment <url> [--client cli|service-studio|integration-studio]
  npm run studio -- whoami
  npm run studio -- logout

The tokens are kept (and refreshed by themselves) in ${'$'}STUDIO_CREDENTIALS_FILE, by default ~/.config/frontdoor-studio/credentials.json.`;

/** The reference desktop client's command line; answers the process exit code. */
export async function runStudio(argv: string[], io: StudioIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err((error as Error).message);
    io.err(USAGE);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || !command) {
    io.out(USAGE);
    return command || parsed.values.help ? 0 : 2;
  }
  if (rest.length > 0) return usageError(io, `Unexpected argument: ${rest[0]}`);
  try {
    switch (command) {
      case 'login':
        return await login(parsed.values, io);
      case 'whoami':
        return await whoami(io);
      case 'logout':
        return await logout(io);
      default:
        return usageError(io, `Unknown command: ${command}`);
    }
  } catch (error) {
    if (error instanceof StudioError) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      environment: { type: 'string', short: 'e' },
      client: { type: 'string', short: 'c' },
      device: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function login(values: { environment?: string; client?: string; device?: boolean }, io: StudioIo): Promise<number> {
  if (!values.environment) return usageError(io, 'login needs --environment <url>');
  if (values.device) return loginWithDevice({ environment: values.environment, client: values.client }, io);
  const client = values.client ?? 'service-studio';
  if (!isStudioClient(client)) return usageError(io, `--client must be one of ${Object.keys(STUDIO_TITLES).join(', ')}`);
  const result = await studioLogin({
    environment: values.environment,
    client,
    log: io.out,
    signal: io.signal,
    onBrowserUrl: async (url) => {
      io.out(`Log in from your browser; if it does not open by itself, open:\n  ${url}`);
      await io.openBrowser(url);
    },
  });
  await saveCredentials(credentialsPath(io.env), {
    environment: result.environment,
    client: result.client,
    accessToken: result.accessToken,
    expiresAt: result.expiresAt,
    refreshToken: result.refreshToken,
    refreshExpiresAt: result.refreshExpiresIn ? new Date(Date.now() + result.refreshExpiresIn * 1000).toISOString() : undefined,
    user: result.user,
  });
  io.out(`Logged in as ${result.user.displayName} (${result.user.email})`);
  return 0;
}

/** No browser on this machine: the code is typed into a browser anywhere else. */
async function loginWithDevice(values: { environment: string; client?: string }, io: StudioIo): Promise<number> {
  const client = values.client ?? 'cli';
  if (client !== 'cli' && !isStudioClient(client)) return usageError(io, '--client must be one of cli, service-studio, integration-studio');
  const result = await deviceLogin({ environment: values.environment, client: client as DeviceClient, log: io.out, signal: io.signal });
  await saveCredentials(credentialsPath(io.env), result);
  io.out(`Logged in as ${result.user.displayName} (${result.user.email})`);
  return 0;
}

async function whoami(io: StudioIo): Promise<number> {
  const file = credentialsPath(io.env);
  const stored = await loadCredentials(file);
  if (!stored) {
    io.err('Not logged in. Log in with: npm run studio -- login --environment <url>');
    return 1;
  }
  try {
    const me = await callWithFreshToken<DesktopUser>('/api/desktop/me', stored, { file, signal: io.signal });
    io.out(`Logged in as ${me.displayName} (${me.email}) to ${stored.environment} with ${stored.client === 'cli' ? 'the command-line tool' : STUDIO_TITLES[stored.client]}`);
    return 0;
  } catch (error) {
    if (error instanceof StudioError && error.status === 401) {
      io.err(`${stored.environment} no longer accepts the stored token (expired, logged out, or the account was deactivated). Log in again.`);
      return 1;
    }
    throw error;
  }
}

async function logout(io: StudioIo): Promise<number> {
  const path = credentialsPath(io.env);
  const stored = await loadCredentials(path);
  if (!stored) {
    io.out('Not logged in.');
    return 0;
  }
  try {
    await callWithFreshToken<void>('/api/desktop/logout', stored, { file: path, method: 'POST', signal: io.signal });
  } catch (error) {
    // 401: the token is no longer valid anyway. Anything else: keep it, so the logout can be retried.
    if (!(error instanceof StudioError && error.status === 401)) throw error;
  }
  await deleteCredentials(path);
  io.out(`Logged out of ${stored.environment}.`);
  return 0;
}

function usageError(io: StudioIo, message: string): number {
  io.err(message);
  io.err(USAGE);
  return 2;
}
