import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBE_CODE, PROBE_USER_AGENT } from '../../src/identity-providers/provider-probe.js';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/**
 * A deliberately misbehaving OpenID Provider for relying-party end-to-end tests.
 * It skips the login page entirely: every /authorize call is granted at once, because
 * what is under test is how the RP reacts to hostile protocol responses, not user interaction.
 */

export type RogueMode =
  | 'good-rs256' | 'good-es256'
  | 'alg-none' | 'bad-sig-rs256' | 'bad-sig-es256' | 'hs256-client-secret'
  | 'wrong-iss' | 'wrong-aud' | 'multi-aud-no-azp' | 'wrong-azp' | 'wrong-nonce' | 'no-nonce' | 'expired' | 'no-iat' | 'no-sub' | 'iat-in-future'
  | 'userinfo-bad-sub' | 'rotated-key' | 'unknown-kid-forged'
  | 'deny' | 'server-error';

export interface RogueOpOptions {
  clientId: string;
  clientSecret: string;
  /** Advertise code_challenge_methods_supported ['S256'] (default true). */
  pkce?: boolean;
  /** Advertise end_session_endpoint (default true). */
  endSession?: boolean;
  /** If set, the discovery document's `issuer` is this value instead of the real issuer. */
  discoveryIssuer?: string;
}

export interface RogueOp {
  issuer: string;
  mode: RogueMode;
  lastAuthorizationRequest?: URLSearchParams;
  lastTokenRequest?: URLSearchParams;
  /** The query of the last request to the end_session endpoint (`/logout`). */
  lastLogoutRequest?: URLSearchParams;
  /** The body of the last token request that carried the provider Test's dummy code. */
  lastProbeRequest?: URLSearchParams;
  /**
   * How the token endpoint answers the Test's dummy code from an authentic client, instead of
   * `invalid_grant` (e.g. Glewlwyd's 403 `{"error":"invalid_code"}`); a string body is sent as HTML.
   */
  probeAnswer?: { status: number; body: Record<string, unknown> | string };
  /** Values that replace the discovery document's own (a `jwks_uri` elsewhere, for instance). */
  documentOverrides: Record<string, unknown>;
  /** When set, the discovery document answers 302 to this URL instead. */
  discoveryRedirect?: string;
  /** Requests received for the discovery document. */
  discoveryRequests: number;
  tokenRequests: number;
  jwksRequests: number;
  /** Paths (`/token`, `/userinfo`, `/jwks`, `/.well-known/openid-configuration`) whose requests are accepted and never answered. */
  hang: Set<string>;
  /** Requests received on a hanging path so far. */
  hungRequests: number;
  /** Connections of hung requests still open (a caller that gives up must close its socket). */
  openConnections(): number;
  rotateKeys(): Promise<void>;
  /** Client secrets the token endpoint accepts from now on (a secret rotated at the provider). */
  acceptSecrets(secrets: string[]): void;
  close(): Promise<void>;
  subject: string;
  email: string;
  emailVerified: boolean | undefined;
  extraClaims: Record<string, unknown>;
  /** The `sid` of the last ID token issued. */
  lastSid?: string;
  /** Signs a back-channel logout token as this provider would (or, with `forge`, as an attacker). */
  signLogoutToken(claims: JWTPayload, options?: LogoutTokenOptions): Promise<string>;
}

export interface LogoutTokenOptions {
  alg?: SigningAlg;
  /** `impostor`: an unpublished key under a published kid; `none`: unsigned; `hs256`: the client secret as HMAC key. */
  forge?: 'impostor' | 'none' | 'hs256';
  /** The header's typ; `null` leaves it out. Defaults to `logout+jwt`. */
  typ?: string | null;
}

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

type SigningAlg = 'RS256' | 'ES256';

interface SigningKey {
  alg: SigningAlg;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

interface KeySet {
  rs256: SigningKey;
  es256: SigningKey;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  sid: string;
  /** Captured at /authorize so a whole login behaves consistently even if a test flips the mode mid-flight. */
  mode: RogueMode;
}

interface AccessGrant {
  mode: RogueMode;
  expiresAt: number;
}

interface ClientCredentials {
  id?: string;
  secret?: string;
}

type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

const TOKEN_LIFETIME_SECONDS = 300;
const OTHER_CLIENT = 'other-client';
const MAX_BODY_BYTES = 64 * 1024;

export async function startRogueOp(options: RogueOpOptions): Promise<RogueOp> {
  const op = new RogueOpServer(options, await generateKeySet(), await generateKeySet());
  await op.listen();
  return op;
}

class RogueOpServer implements RogueOp {
  issuer = '';
  mode: RogueMode = 'good-rs256';
  lastAuthorizationRequest?: URLSearchParams;
  lastTokenRequest?: URLSearchParams;
  lastLogoutRequest?: URLSearchParams;
  lastProbeRequest?: URLSearchParams;
  probeAnswer?: { status: number; body: Record<string, unknown> | string };
  documentOverrides: Record<string, unknown> = {};
  discoveryRedirect?: string;
  discoveryRequests = 0;
  tokenRequests = 0;
  jwksRequests = 0;
  hang = new Set<string>();
  hungRequests = 0;
  private readonly hungSockets = new Set<import('node:net').Socket>();
  subject = 'rogue-sub-1';
  email = 'rogue@example.com';
  emailVerified: boolean | undefined = true;
  extraClaims: Record<string, unknown> = {};
  lastSid?: string;

  private readonly server: Server;
  private acceptedSecrets: string[];
  private readonly codes = new Map<string, CodeGrant>();
  private readonly accessTokens = new Map<string, AccessGrant>();
  private readonly routes: Record<string, RouteHandler> = {
    'GET /.well-known/openid-configuration': (_req, res) => {
      this.discoveryRequests++;
      if (this.discoveryRedirect) return redirect(res, this.discoveryRedirect);
      sendJson(res, 200, { ...this.discoveryDocument(), ...this.documentOverrides });
    },
    'GET /jwks': (req, res) => this.jwks(req, res),
    'GET /authorize': (_req, res, url) => this.authorize(res, url.searchParams),
    'POST /token': (req, res) => this.token(req, res),
    'GET /userinfo': (req, res) => this.userinfo(req, res),
    'GET /logout': (_req, res, url) => {
      this.lastLogoutRequest = new URLSearchParams(url.searchParams);
      logout(res, url.searchParams);
    },
  };

  constructor(
    private readonly options: RogueOpOptions,
    private keys: KeySet,
    /** Same key types as the published ones but never published: their signatures must not verify. */
    private readonly impostorKeys: KeySet,
  ) {
    this.acceptedSecrets = [options.clientSecret];
    this.server = createServer((req, res) => {
      this.dispatch(req, res).catch((error: unknown) => failRequest(res, error));
    });

  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.issuer = `http://127.0.0.1:${port}`;
  }

  async rotateKeys(): Promise<void> {
    this.keys = await generateKeySet();
  }

  async signLogoutToken(claims: JWTPayload, options: LogoutTokenOptions = {}): Promise<string> {
    const alg = options.alg ?? 'RS256';
    const typ = options.typ === undefined ? 'logout+jwt' : options.typ;
    const key = alg === 'RS256' ? this.keys.rs256 : this.keys.es256;
    const header = (base: Record<string, unknown>) => (typ === null ? base : { ...base, typ });
    switch (options.forge) {
      case 'none':
        return `${base64url(JSON.stringify(header({ alg: 'none' })))}.${base64url(JSON.stringify(claims))}.`;
      case 'hs256':
        return new SignJWT(claims).setProtectedHeader(header({ alg: 'HS256' }) as { alg: string }).sign(new TextEncoder().encode(this.options.clientSecret));
      case 'impostor': {
        const impostor = alg === 'RS256' ? this.impostorKeys.rs256 : this.impostorKeys.es256;
        return new SignJWT(claims).setProtectedHeader(header({ alg, kid: key.kid }) as { alg: string }).sign(impostor.privateKey);
      }
      default:
        return new SignJWT(claims).setProtectedHeader(header({ alg, kid: key.kid }) as { alg: string }).sign(key.privateKey);
    }
  }

  acceptSecrets(secrets: string[]): void {
    this.acceptedSecrets = [...secrets];
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets from fetch would otherwise hold close() open until they time out.
      this.server.closeAllConnections();
    });
  }

  openConnections(): number {
    return this.hungSockets.size;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    // Accepts the request and never answers: the caller's timeout is what ends it.
    if (this.hang.has(url.pathname)) {
      this.hungRequests++;
      const socket = req.socket;
      this.hungSockets.add(socket);
      socket.once('close', () => this.hungSockets.delete(socket));
      return;
    }
    const handler = this.routes[`${req.method} ${url.pathname}`];
    if (!handler) return sendJson(res, 404, { error: 'not_found' });
    await handler(req, res, url);
  }

  private discoveryDocument(): Record<string, unknown> {
    const { pkce = true, endSession = true, discoveryIssuer } = this.options;
    return {
      issuer: discoveryIssuer ?? this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      userinfo_endpoint: `${this.issuer}/userinfo`,
      jwks_uri: `${this.issuer}/jwks`,
      ...(endSession ? { end_session_endpoint: `${this.issuer}/logout` } : {}),
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      ...(pkce ? { code_challenge_methods_supported: ['S256'] } : {}),
      scopes_supported: ['openid', 'profile', 'email'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'sid', 'email', 'email_verified', 'name', 'preferred_username'],
    };
  }

  private jwks(req: IncomingMessage, res: ServerResponse): void {
    // Reads by the service's provider Test are not the relying party's key fetches under test.
    if (req.headers['user-agent'] !== PROBE_USER_AGENT) this.jwksRequests++;
    sendJson(res, 200, { keys: [this.keys.rs256.publicJwk, this.keys.es256.publicJwk] });
  }

  private authorize(res: ServerResponse, query: URLSearchParams): void {
    this.lastAuthorizationRequest = new URLSearchParams(query);
    const clientId = query.get('client_id');
    const redirectUri = parseUrl(query.get('redirect_uri'));
    // Without a trustworthy redirect_uri an OP must not redirect, so these errors are shown, not sent back.
    if (!clientId || !redirectUri) return sendHtml(res, 400, 'Bad authorization request: client_id and a valid redirect_uri are required.');
    if (clientId !== this.options.clientId) return sendHtml(res, 400, 'Bad authorization request: unknown client_id.');
    const outcome = this.authorizationOutcome(query, clientId);
    redirect(res, withParams(redirectUri, { ...outcome, state: query.get('state') ?? undefined }));
  }

  private authorizationOutcome(query: URLSearchParams, clientId: string): Record<string, string> {
    if (this.mode === 'deny') return { error: 'access_denied', error_description: 'The user denied' };
    if (this.mode === 'server-error') return { error: 'server_error' };
    if (query.get('response_type') !== 'code') return { error: 'unsupported_response_type' };
    const code = randomToken();
    this.codes.set(code, {
      clientId,
      redirectUri: query.get('redirect_uri') ?? '',
      nonce: query.get('nonce') ?? undefined,
      codeChallenge: query.get('code_challenge') ?? undefined,
      codeChallengeMethod: query.get('code_challenge_method') ?? undefined,
      sid: randomToken(),
      mode: this.mode,
    });
    return { code };
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = new URLSearchParams(await readBody(req));
    // The service's provider Test (readiness) probes the client with its own dummy code; that is not a login.
    const probe = body.get('code') === PROBE_CODE;
    if (probe) this.lastProbeRequest = body;
    else {
      this.tokenRequests++;
      this.lastTokenRequest = body;
    }
    const client = clientCredentials(req, body);
    if (!this.isAuthenticClient(client)) {
      return sendJson(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="rogue-op"' });
    }
    if (probe && this.probeAnswer) {
      const { status, body: answer } = this.probeAnswer;
      return typeof answer === 'string' ? sendHtml(res, status, answer) : sendJson(res, status, answer);
    }
    if (body.get('grant_type') !== 'authorization_code') return sendJson(res, 400, { error: 'unsupported_grant_type' });
    const grant = this.redeemCode(body, this.options.clientId);
    if (!grant) return sendJson(res, 400, { error: 'invalid_grant' });
    sendJson(res, 200, {
      access_token: this.issueAccessToken(grant.mode),
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
      id_token: await this.idToken(grant),
    });
  }

  private isAuthenticClient(client: ClientCredentials): boolean {
    return client.id === this.options.clientId && client.secret !== undefined && this.acceptedSecrets.some((secret) => safeEqual(client.secret!, secret));
  }

  /** Consumes the code before checking it, so any second presentation fails as a replay. */
  private redeemCode(body: URLSearchParams, clientId: string): CodeGrant | undefined {
    const code = body.get('code') ?? '';
    const grant = this.codes.get(code);
    this.codes.delete(code);
    if (!grant || grant.clientId !== clientId) return undefined;
    // RFC 6749 §4.1.3 asks for an identical redirect_uri, so no URL normalisation here.
    if (grant.redirectUri !== body.get('redirect_uri')) return undefined;
    return pkceSatisfied(grant, body.get('code_verifier')) ? grant : undefined;
  }

  private issueAccessToken(mode: RogueMode): string {
    const token = randomToken();
    this.accessTokens.set(token, { mode, expiresAt: epochSeconds() + TOKEN_LIFETIME_SECONDS });
    return token;
  }

  private async idToken(grant: CodeGrant): Promise<string> {
    const claims = this.idTokenClaims(grant);
    switch (grant.mode) {
      case 'alg-none':
        return unsignedJwt(claims);
      case 'good-es256':
        return sign(claims, this.keys.es256);
      case 'bad-sig-rs256':
        return sign(claims, this.impostorKeys.rs256, this.keys.rs256.kid);
      case 'bad-sig-es256':
        return sign(claims, this.impostorKeys.es256, this.keys.es256.kid);
      case 'hs256-client-secret':
        return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(this.options.clientSecret));
      case 'rotated-key':
        await this.rotateKeys();
        return sign(claims, this.keys.rs256);
      case 'unknown-kid-forged':
        return sign(claims, await createSigningKey('RS256'));
      default:
        return sign(claims, this.keys.rs256);
    }
  }

  private idTokenClaims(grant: CodeGrant): JWTPayload {
    const now = epochSeconds();
    this.lastSid = grant.sid;
    const claims: JWTPayload = {
      iss: this.issuer,
      sub: this.subject,
      aud: this.options.clientId,
      exp: now + TOKEN_LIFETIME_SECONDS,
      iat: now,
      nonce: grant.nonce,
      sid: grant.sid,
      email: this.email,
      email_verified: this.emailVerified,
      name: 'Rogue User',
      ...this.extraClaims,
    };
    CLAIM_ATTACKS[grant.mode]?.(claims, now, this.options.clientId);
    return withoutUndefined(claims);
  }

  private userinfo(req: IncomingMessage, res: ServerResponse): void {
    const token = bearerToken(req);
    const grant = token ? this.accessTokens.get(token) : undefined;
    if (!grant || grant.expiresAt < epochSeconds()) {
      return sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    const sub = grant.mode === 'userinfo-bad-sub' ? `${this.subject}-impostor` : this.subject;
    sendJson(res, 200, withoutUndefined({
      sub,
      email: this.email,
      email_verified: this.emailVerified,
      name: 'Rogue User',
      preferred_username: 'rogue',
      ...this.extraClaims,
    }));
  }
}

/** Claim tampering for the modes whose token is correctly signed but semantically invalid. */
const CLAIM_ATTACKS: Partial<Record<RogueMode, (claims: JWTPayload, now: number, clientId: string) => void>> = {
  'wrong-iss': (claims) => { claims.iss = 'https://rogue-issuer.invalid'; },
  'wrong-aud': (claims) => { claims.aud = OTHER_CLIENT; },
  'multi-aud-no-azp': (claims, _now, clientId) => { claims.aud = [clientId, OTHER_CLIENT]; delete claims.azp; },
  'wrong-azp': (claims) => { claims.azp = OTHER_CLIENT; },
  'wrong-nonce': (claims) => { claims.nonce = `rogue-nonce-${randomToken()}`; },
  'no-nonce': (claims) => { delete claims.nonce; },
  'expired': (claims, now) => { claims.exp = now - 60; claims.iat = now - 360; },
  'no-iat': (claims) => { delete claims.iat; },
  'no-sub': (claims) => { delete claims.sub; },
  'iat-in-future': (claims, now) => { claims.iat = now + 3600; claims.exp = now + 7200; },
};

async function generateKeySet(): Promise<KeySet> {
  const [rs256, es256] = await Promise.all([createSigningKey('RS256'), createSigningKey('ES256')]);
  return { rs256, es256 };
}

async function createSigningKey(alg: SigningAlg): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const kid = `${alg.toLowerCase()}-${randomBytes(8).toString('hex')}`;
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(claims: JWTPayload, key: SigningKey, kid = key.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid }).sign(key.privateKey);
}

/** jose refuses to produce alg "none", so the compact form is assembled by hand. */
function unsignedJwt(claims: JWTPayload): string {
  return `${base64url(JSON.stringify({ alg: 'none' }))}.${base64url(JSON.stringify(claims))}.`;
}

function pkceSatisfied(grant: CodeGrant, verifier: string | null): boolean {
  if (grant.codeChallenge === undefined) return true;
  // Only S256 is advertised, so a "plain" (or defaulted) challenge is treated as unverifiable.
  if (grant.codeChallengeMethod !== 'S256' || !verifier) return false;
  return safeEqual(base64url(createHash('sha256').update(verifier).digest()), grant.codeChallenge);
}

function clientCredentials(req: IncomingMessage, body: URLSearchParams): ClientCredentials {
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!basic) return { id: body.get('client_id') ?? undefined, secret: body.get('client_secret') ?? undefined };
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return {};
  return { id: formDecode(decoded.slice(0, separator)), secret: formDecode(decoded.slice(separator + 1)) };
}

/** RFC 6749 §2.3.1 has Basic credentials form-urlencoded before base64; most clients do not bother, hence the fallback. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

function logout(res: ServerResponse, query: URLSearchParams): void {
  const target = parseUrl(query.get('post_logout_redirect_uri'));
  if (!target) return sendHtml(res, 200, 'You are signed out.');
  redirect(res, withParams(target, { state: query.get('state') ?? undefined }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseUrl(value: string | null): URL | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  return new URL(value);
}

function withParams(target: URL, params: Record<string, string | undefined>): string {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.href;
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store' }).end();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

function failRequest(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, 500, { error: 'server_error', error_description: String(error) });
}

function sendHtml(res: ServerResponse, status: number, message: string): void {
  const page = `<!doctype html><html><head><title>Rogue OP</title></head><body><p>${escapeHtml(message)}</p></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(page);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function withoutUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
