import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import { accountClaims, DEV_IDP_ACCOUNTS, type DevIdpAccount } from './dev-idp-accounts.js';
import { loadGrantWithRequestedScopes } from './dev-idp-consent.js';
import { createInteractionHandler, isInteractionRequest } from './dev-idp-interactions.js';
import { createDevIdpStore } from './dev-idp-store.js';
import { renderErrorPage, renderLoggedOutPage, renderLogoutPage } from './dev-idp-views.js';

export { DEV_IDP_ACCOUNTS, DEV_JIT_CLIENT, type DevIdpAccount } from './dev-idp-accounts.js';

export interface DevIdpClient {
  clientId: string;
  /** Unused (and not registered) with private_key_jwt. */
  clientSecret: string;
  /** How the client authenticates at the token endpoint; client_secret_post unless set. */
  tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';
  /** Where the provider fetches a private_key_jwt client's public keys. */
  jwksUri?: string;
  /** Or the keys themselves, held by the provider as an uploaded key or certificate would be. */
  jwks?: { keys: JWK[] };
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Where the provider posts back-channel logout tokens (with `sid`) when a session ends here. */
  backchannelLogoutUri?: string;
}

export interface DevIdpOptions {
  /** 0 picks any free port. */
  port: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Host name used in the issuer URL; defaults to localhost. */
  issuerHost?: string;
  clients: DevIdpClient[];
  accounts?: DevIdpAccount[];
  cookieKeys?: string[];
}

export interface DevIdp {
  issuer: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

// Defaults of oidc-provider 9, spelled out only because leaving them unset logs a notice per artifact type.
const TTL_SECONDS = {
  AccessToken: 60 * 60,
  AuthorizationCode: 60,
  IdToken: 60 * 60,
  Interaction: 60 * 60,
  Session: 14 * 24 * 60 * 60,
  Grant: 14 * 24 * 60 * 60,
};

export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const server = createServer();
  const port = await listen(server, options.port, options.host ?? '127.0.0.1');
  try {
    const issuer = `http://${options.issuerHost ?? 'localhost'}:${port}`;
    // Its own copies: the groups a login form sets stay with this provider instance.
    const accounts = (options.accounts ?? DEV_IDP_ACCOUNTS).map((account) => ({ ...account, groups: [...(account.groups ?? [])] }));
    const provider = new Provider(issuer, await buildConfiguration(options, accounts));
    alwaysIncludeSessionId(provider);
    server.on('request', createRequestHandler(provider, accounts));
    return { issuer, port, close: () => closeServer(server) };
  } catch (error) {
    await closeServer(server);
    throw error;
  }
}

async function buildConfiguration(options: DevIdpOptions, accounts: readonly DevIdpAccount[]): Promise<Configuration> {
  return {
    adapter: createDevIdpStore(),
    clients: options.clients.map(toClientMetadata),
    jwks: { keys: await generateSigningKeys() },
    cookies: {
      keys: options.cookieKeys ?? [randomBytes(32).toString('base64url')],
    },
    scopes: ['openid', 'profile', 'email'],
    claims: {
      acr: null,
      sid: null,
      auth_time: null,
      iss: null,
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email', 'email_verified'],
    },
    // Relying parties built on passport read profile data from the ID token alone.
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => findAccount(accounts, sub),
    loadExistingGrant: loadGrantWithRequestedScopes,
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // oidc-provider refuses to call loopback addresses (its SSRF guard); this provider's only
    // outgoing calls go to the service on the same machine (back-channel logouts, and the client
    // JWKS of a private_key_jwt client), so those may.
    fetch: (url, options) => {
      const target = url instanceof Request ? url.url : url;
      if (options && LOOPBACK_HOSTS.has(new URL(target).hostname)) delete (options as { dispatcher?: unknown }).dispatcher;
      return fetch(url, options);
    },
    // The relying party always sends S256, but non-PKCE clients (curl, other tools) stay usable.
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => sendHtml(ctx, renderLogoutPage(form)),
        postLogoutSuccessSource: (ctx) => sendHtml(ctx, renderLoggedOutPage()),
      },
    },
    renderError: (ctx, out) => sendHtml(ctx, renderErrorPage({ ...out })),
    ttl: TTL_SECONDS,
  };
}

function toClientMetadata(client: DevIdpClient): ClientMetadata {
  const method = client.tokenEndpointAuthMethod ?? 'client_secret_post';
  return {
    client_id: client.clientId,
    ...(method === 'private_key_jwt'
      ? { ...(client.jwks ? { jwks: client.jwks } : { jwks_uri: client.jwksUri }), token_endpoint_auth_signing_alg: 'RS256' }
      : { client_secret: client.clientSecret }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: method,
    // Every ID token says when the person authenticated, as Keycloak's and Okta's do: a sign-in
    // after an admin's Revoke is then told apart from the provider's older session at once.
    require_auth_time: true,
    ...(client.backchannelLogoutUri ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
  };
}

// RS256 first: it is the default ID token algorithm; ES256 is there for clients that ask for it.
async function generateSigningKeys(): Promise<JWK[]> {
  return Promise.all([generateSigningKey('RS256'), generateSigningKey('ES256')]);
}

async function generateSigningKey(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

function findAccount(accounts: readonly DevIdpAccount[], sub: string) {
  const account = accounts.find((candidate) => candidate.id === sub);
  if (!account) {
    return undefined;
  }
  return { accountId: account.id, claims: () => accountClaims(account) };
}

/**
 * oidc-provider 9 only puts `sid` into ID tokens for back-channel-logout clients or when the
 * claims parameter asks for it; relying parties here use it to tie their session to ours.
 */
function alwaysIncludeSessionId(provider: Provider): void {
  provider.Client.prototype.includeSid = () => true;
}

function createRequestHandler(provider: Provider, accounts: readonly DevIdpAccount[]) {
  const handleProviderRequest = provider.callback();
  const handleInteraction = createInteractionHandler(provider, accounts);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (isInteractionRequest(req)) {
      void handleInteraction(req, res);
      return;
    }
    void handleProviderRequest(req, res);
  };
}

function sendHtml(ctx: KoaContextWithOIDC, html: string): void {
  ctx.type = 'html';
  ctx.body = html;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
