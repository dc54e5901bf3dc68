import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, TestBrowser } from './browser.js';
import { stopChild, waitForPort } from './child-process.js';
import { freePort } from './ports.js';
import { GLEWLWYD, SQLITE3, systemPackagePath } from './system-packages.js';

/** The SQL script Debian's package ships to create Glewlwyd's SQLite database (its default admin is admin / password). */
export const GLEWLWYD_SQLITE_SCRIPT = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
const ADMIN = { username: 'admin', password: 'password' };
/** The OIDC plugin instance: its name is the last segment of the issuer. */
const PLUGIN = 'oidc';
const TIMEOUT_MS = 5_000;

export const GLEWLWYD_USER = { email: 'jane@example.com', name: 'Jane Doe', password: 'jane-glewlwyd-password-0123' };
export const GLEWLWYD_CLIENT = { clientId: 'front-door-glewlwyd', clientSecret: 'glewlwyd-client-secret-0123456789' };

export interface RunningGlewlwyd {
  /** `http://127.0.0.1:<port>`, where its pages and API are. */
  url: string;
  /** `<url>/api/oidc`, as its discovery document names it. */
  issuer: string;
  /** Everything it printed so far (its log goes to the console at INFO), for failure messages. */
  log(): string;
  close(): Promise<void>;
}

/**
 * Debian's Glewlwyd 2.7.5 as a child process on 127.0.0.1: its own temp folder and SQLite database
 * (from the package's SQL script), then set up through its admin REST API as an admin would in its
 * web UI: the user `jane@example.com` in the database user backend, the `openid` scope requiring
 * her password, an OIDC plugin instance signing with a fresh RS256 key, and a confidential client
 * for this service (registered at `serviceUrl` as provider `providerId`) with its redirect,
 * post-logout and back-channel logout URIs.
 */
export async function startGlewlwyd(options: { serviceUrl: string; providerId: string }): Promise<RunningGlewlwyd> {
  const dir = await mkdtemp(join(tmpdir(), 'frontdoor-glewlwyd-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  try {
    const database = join(dir, 'glewlwyd.db');
    initDatabase(database);
    await writeFile(join(dir, 'glewlwyd.conf'), config(port, url, database));
    const child = spawn(systemPackagePath(GLEWLWYD), ['-c', join(dir, 'glewlwyd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const close = async () => {
      await stopChild(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    };
    try {
      await waitForPort(port, child, 'glewlwyd', () => output);
      await configure(url, options);
    } catch (error) {
      await close();
      throw new Error(`${(error as Error).message}\nglewlwyd's log:\n${output.slice(-4000)}`);
    }
    return { url, issuer: `${url}/api/${PLUGIN}`, log: () => output, close };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function initDatabase(database: string): void {
  if (!existsSync(GLEWLWYD_SQLITE_SCRIPT)) throw new Error(`${GLEWLWYD_SQLITE_SCRIPT} is missing: the glewlwyd package ships it`);
  // The shipped client backend lists the client properties it keeps; end_session reads
  // post_logout_redirect_uris, which is not among them, so it is added as an admin would in the UI.
  const postLogoutUris = `UPDATE g_client_module_instance SET gcmi_parameters = json_set(gcmi_parameters, '$."data-format".post_logout_redirect_uris', json('{"multiple":true,"read":true,"write":true}')) WHERE gcmi_name = 'database';`;
  const script = `${readFileSync(GLEWLWYD_SQLITE_SCRIPT, 'utf8')}\n${postLogoutUris}\n`;
  const result = spawnSync(systemPackagePath(SQLITE3), ['-bail', database], { input: script, encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) throw new Error(`sqlite3 could not create Glewlwyd's database: ${result.stderr || result.error?.message}`);
}

function config(port: number, url: string, database: string): string {
  return `port=${port}
bind_address="127.0.0.1"
external_url="${url}"
login_url="login.html"
api_prefix="api"
static_files_path="/usr/share/glewlwyd/webapp/"
allow_origin="*"
log_mode="console"
log_level="INFO"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=false
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3" path = "${database}" };
static_files_mime_types = (
  { extension = ".html" mime_type = "text/html" },
  { extension = ".js" mime_type = "application/javascript" },
  { extension = ".css" mime_type = "text/css" },
  { extension = ".json" mime_type = "application/json" }
)
`;
}

async function configure(url: string, options: { serviceUrl: string; providerId: string }): Promise<void> {
  const cookie = await passwordSession(url, ADMIN.username, ADMIN.password);
  const admin = (method: string, path: string, body: unknown) => call(url, method, path, body, cookie);
  await admin('POST', '/api/user/', {
    username: GLEWLWYD_USER.email,
    name: GLEWLWYD_USER.name,
    email: GLEWLWYD_USER.email,
    password: GLEWLWYD_USER.password,
    scope: ['openid'],
    enabled: true,
  });
  // The shipped openid scope asks for no authentication at all; this one asks for the password.
  await admin('PUT', '/api/scope/openid', { display_name: 'Open ID', description: 'Open ID Connect scope', password_required: true, password_max_age: 0, scheme: {} });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await admin('POST', '/api/mod/plugin/', {
    module: 'oidc',
    name: PLUGIN,
    display_name: 'OpenID Connect',
    enabled: true,
    parameters: {
      iss: `${url}/api/${PLUGIN}`,
      'jwt-type': 'rsa',
      'jwt-key-size': '256',
      key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: publicKey.export({ type: 'spki', format: 'pem' }),
      'code-duration': 600,
      'access-token-duration': 3600,
      'refresh-token-duration': 1209600,
      'allow-non-oidc': false,
      'auth-type-code-enabled': true,
      'auth-type-refresh-enabled': true,
      'auth-type-token-enabled': false,
      'auth-type-implicit-enabled': false,
      'auth-type-password-enabled': false,
      'auth-type-client-enabled': false,
      'email-claim': 'mandatory',
      'name-claim': 'mandatory',
      'pkce-allowed': true,
      'session-management-allowed': true,
      'session-cookie-name': 'GLEWLWYD2_OIDC_SID',
      'session-cookie-expiration': 3600,
      'back-channel-logout-allowed': true,
      // Without it the end-session page cannot list the session (its API answers 400), so no logout completes.
      'front-channel-logout-allowed': true,
    },
  });
  const service = options.serviceUrl;
  await admin('POST', '/api/client/', {
    client_id: GLEWLWYD_CLIENT.clientId,
    name: 'Front door',
    enabled: true,
    confidential: true,
    // A confidential client's secret is its `password` (its `client_secret` is for signed requests).
    password: GLEWLWYD_CLIENT.clientSecret,
    token_endpoint_auth_method: ['client_secret_post'],
    authorization_type: ['code', 'refresh_token'],
    redirect_uri: [`${service}/auth/callback/${options.providerId}`],
    post_logout_redirect_uris: [`${service}/auth/signed-out`],
    backchannel_logout_uri: `${service}/auth/backchannel-logout/${options.providerId}`,
    backchannel_logout_session_required: 'true',
  });
}

/** Glewlwyd's session cookie for a user, from its login API (`POST /api/auth/` with the password). */
async function passwordSession(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await response.arrayBuffer();
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('GLEWLWYD2_SESSION_ID='));
  if (response.status !== 200 || !cookie) throw new Error(`glewlwyd refused ${username}'s password: HTTP ${response.status}`);
  return cookie.split(';')[0];
}

async function call(url: string, method: string, path: string, body: unknown, cookie: string): Promise<void> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`glewlwyd ${method} ${path}: HTTP ${response.status} ${text}`);
}

/** What Glewlwyd's login page (a JavaScript app) asks its API, done over HTTP with the test browser's cookies. */
async function pageCall(browser: TestBrowser, page: Page, method: string, path: string, body?: unknown): Promise<Response> {
  const response = await browser.request(new URL(path, page.url).toString(), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (response.status !== 200) throw new Error(`glewlwyd's login page: ${method} ${path} answered HTTP ${response.status}: ${await response.text()}`);
  return response;
}

/**
 * Signs in on Glewlwyd's login page (`login.html?…&callback_url=…`) as its JavaScript does: the
 * password to `POST /api/auth/`, the consent to `PUT /api/auth/grant/<client>`, then **Continue**,
 * which opens the callback URL with `g_continue`. Returns the page the redirects end at.
 */
export async function signInOnGlewlwyd(browser: TestBrowser, loginPage: Page, account = GLEWLWYD_USER): Promise<Page> {
  const params = new URL(loginPage.url).searchParams;
  const callback = params.get('callback_url');
  if (new URL(loginPage.url).pathname !== '/login.html' || !callback) throw new Error(`not Glewlwyd's login page: ${loginPage.url}`);
  await (await pageCall(browser, loginPage, 'POST', '/api/auth/', { username: account.email, password: account.password })).arrayBuffer();
  await (await pageCall(browser, loginPage, 'PUT', `/api/auth/grant/${encodeURIComponent(params.get('client_id')!)}`, { scope: params.get('scope') })).arrayBuffer();
  return browser.open(`${callback}${callback.includes('?') ? '&' : '?'}g_continue`);
}

/**
 * Confirms the end-session prompt of Glewlwyd's login page (`login.html?prompt=end_session&…`) as
 * its JavaScript does: lists the session's clients, ends the session (`DELETE /api/oidc/session/<sid>`,
 * which also sends the back-channel logout tokens), signs out of Glewlwyd, and only when the page was
 * given a `post_redirect_to` (Glewlwyd adds it only when end_session had a `state`) goes on to the
 * callback URL. Returns that page, or the login page it stays on.
 */
export async function confirmGlewlwydLogout(browser: TestBrowser, page: Page): Promise<Page> {
  const params = new URL(page.url).searchParams;
  if (params.get('prompt') !== 'end_session') throw new Error(`not Glewlwyd's end-session prompt: ${page.url}`);
  const sid = encodeURIComponent(params.get('sid')!);
  const postRedirectTo = params.get('post_redirect_to');
  const query = postRedirectTo ? `?post_redirect_to=${encodeURIComponent(postRedirectTo)}` : '';
  const list = (await (await pageCall(browser, page, 'GET', `/api/${params.get('plugin')}/session/${sid}/${encodeURIComponent(params.get('client_id')!)}${query}`)).json()) as { post_redirect_to?: string };
  await (await pageCall(browser, page, 'DELETE', `/api/${params.get('plugin')}/session/${sid}`)).arrayBuffer();
  await (await pageCall(browser, page, 'DELETE', '/api/auth/')).arrayBuffer();
  return list.post_redirect_to ? browser.open(params.get('callback_url')!) : page;
}

/**
 * Ends a Glewlwyd session from Glewlwyd's side (the call its end-session page makes), without the
 * service asking: Glewlwyd then posts a back-channel logout token to each client of the session.
 */
export async function endGlewlwydSession(browser: TestBrowser, glewlwyd: RunningGlewlwyd, sid: string): Promise<void> {
  const response = await browser.request(`${glewlwyd.url}/api/${PLUGIN}/session/${encodeURIComponent(sid)}`, { method: 'DELETE', signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`glewlwyd DELETE /api/${PLUGIN}/session/${sid}: HTTP ${response.status} ${text}`);
}
