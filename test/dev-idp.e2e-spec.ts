import { createHash, randomBytes } from 'node:crypto';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEV_IDP_ACCOUNTS, startDevIdp, type DevIdp } from '../src/dev-idp/dev-idp.js';

const CLIENT = {
  clientId: 'dev-idp-test-client',
  clientSecret: 'dev-idp-test-secret',
  redirectUris: ['http://127.0.0.1:9/callback'],
  postLogoutRedirectUris: ['http://127.0.0.1:9/signed-out'],
};
const [ADMIN] = DEV_IDP_ACCOUNTS;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  end_session_endpoint: string;
  jwks_uri: string;
  code_challenge_methods_supported: string[];
}

/** Just enough of a browser: one host, cookies by name, redirects followed by hand. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.remember(response);
    return response;
  }

  /** Follows redirects until one leaves the provider (for the relying party) or a page renders. */
  async follow(response: Response, base: string, stopAt: string): Promise<Response> {
    let current = response;
    while (isRedirect(current.status)) {
      const location = new URL(current.headers.get('location')!, base).href;
      if (location.startsWith(stopAt)) {
        return current;
      }
      current = await this.request(location);
    }
    return current;
  }

  async submitForm(pageUrl: string, html: string, fields: Record<string, string> = {}): Promise<Response> {
    const form = parseForm(html);
    const body = new URLSearchParams({ ...form.fields, ...fields });
    return this.request(new URL(form.action, pageUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  }

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => /^\s*expires=/i.test(attribute) && Date.parse(attribute.split('=')[1]) < Date.now());
      if (!value || expired) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

function unescapeHtml(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? unescapeHtml(match[1]) : undefined;
}

function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const formTag = /<form\b[^>]*>/i.exec(html)?.[0];
  expect(formTag, 'page should contain a form').toBeDefined();
  const fields: Record<string, string> = {};
  for (const [input] of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(input, 'name');
    if (name && attribute(input, 'type') === 'hidden') {
      fields[name] = attribute(input, 'value') ?? '';
    }
  }
  return { action: attribute(formTag!, 'action')!, fields };
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('development identity provider', () => {
  let idp: DevIdp;
  let discovery: Discovery;

  beforeAll(async () => {
    idp = await startDevIdp({ port: 0, clients: [CLIENT] });
  });

  afterAll(async () => {
    await idp?.close();
  });

  function authorizationUrl(params: Record<string, string>): string {
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: CLIENT.clientId,
      redirect_uri: CLIENT.redirectUris[0],
      response_type: 'code',
      scope: 'openid profile email',
      ...params,
    }).toString();
    return url.href;
  }

  it('listens on a real port and publishes discovery for its issuer', async () => {
    expect(idp.port).toBeGreaterThan(0);
    expect(idp.issuer).toBe(`http://localhost:${idp.port}`);

    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    discovery = (await response.json()) as Discovery;

    expect(discovery.issuer).toBe(idp.issuer);
    expect(discovery.end_session_endpoint).toMatch(/^http:\/\/localhost:\d+\//);
    expect(discovery.userinfo_endpoint).toBeTruthy();
    expect(discovery.jwks_uri).toBeTruthy();
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('signs a user in with the authorization code flow, then signs them out', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkcePair();
    const state = randomBytes(8).toString('hex');
    const nonce = randomBytes(8).toString('hex');

    const start = await browser.request(
      authorizationUrl({ state, nonce, code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    const loginPage = await browser.follow(start, idp.issuer, CLIENT.redirectUris[0]);
    const loginUrl = loginPage.url || idp.issuer;
    const loginHtml = await loginPage.text();
    expect(loginPage.status).toBe(200);
    expect(loginHtml).toContain('<title>Development identity provider</title>');
    expect(loginHtml).toMatch(/<form method="post" action="\/interaction\/[^"/]+\/login">/);
    expect(loginHtml).toContain('name="email"');
    expect(loginHtml).toContain('name="password"');
    expect(loginHtml).toContain('admin-password');

    const rejected = await browser.submitForm(loginUrl, loginHtml, { email: ADMIN.email, password: 'not-the-password' });
    expect(rejected.status).toBe(401);
    expect(rejected.headers.get('location')).toBeNull();
    const rejectedHtml = await rejected.text();
    expect(rejectedHtml).toContain('Wrong email or password');
    expect(rejectedHtml).toContain(`value="${ADMIN.email}"`);

    const accepted = await browser.submitForm(loginUrl, rejectedHtml, { email: ADMIN.email, password: ADMIN.password });
    const callback = await browser.follow(accepted, idp.issuer, CLIENT.redirectUris[0]);
    expect([302, 303]).toContain(callback.status);
    const callbackUrl = new URL(callback.headers.get('location')!);
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(CLIENT.redirectUris[0]);
    expect(callbackUrl.searchParams.get('state')).toBe(state);
    const code = callbackUrl.searchParams.get('code');
    expect(code).toBeTruthy();

    const tokenResponse = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: CLIENT.redirectUris[0],
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        code_verifier: verifier,
      }),
    });
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as { id_token: string; access_token: string; token_type: string };
    expect(tokens.token_type).toBe('Bearer');

    expect(decodeProtectedHeader(tokens.id_token).alg).toBe('RS256');
    const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: idp.issuer,
      audience: CLIENT.clientId,
    });
    expect(payload).toMatchObject({
      sub: ADMIN.id,
      nonce,
      email: ADMIN.email,
      email_verified: true,
      name: ADMIN.name,
      preferred_username: ADMIN.email,
    });
    expect(payload.sid).toEqual(expect.any(String));

    const userinfo = await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: ADMIN.id, email: ADMIN.email, name: ADMIN.name });

    const logoutUrl = new URL(discovery.end_session_endpoint);
    logoutUrl.search = new URLSearchParams({
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: CLIENT.postLogoutRedirectUris[0],
      state: 'after-logout',
    }).toString();
    const confirmation = await browser.request(logoutUrl.href);
    expect(confirmation.status).toBe(200);
    const confirmationHtml = await confirmation.text();
    expect(parseForm(confirmationHtml).fields).toMatchObject({ logout: 'yes', xsrf: expect.any(String) });
    expect(confirmationHtml).toContain('<button type="submit">Sign out</button>');

    const loggedOut = await browser.submitForm(logoutUrl.href, confirmationHtml);
    expect([302, 303]).toContain(loggedOut.status);
    const loggedOutUrl = new URL(loggedOut.headers.get('location')!);
    expect(`${loggedOutUrl.origin}${loggedOutUrl.pathname}`).toBe(CLIENT.postLogoutRedirectUris[0]);
    expect(loggedOutUrl.searchParams.get('state')).toBe('after-logout');

    const again = await browser.request(authorizationUrl({ state: 'again', nonce: 'again' }));
    const loginAgain = await browser.follow(again, idp.issuer, CLIENT.redirectUris[0]);
    expect(loginAgain.status).toBe(200);
    expect(await loginAgain.text()).toContain('name="password"');
  });

  it('rejects a code redeemed with the wrong PKCE verifier', async () => {
    const browser = new Browser();
    const { challenge } = pkcePair();
    const start = await browser.request(
      authorizationUrl({ state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    const loginPage = await browser.follow(start, idp.issuer, CLIENT.redirectUris[0]);
    const accepted = await browser.submitForm(loginPage.url || idp.issuer, await loginPage.text(), {
      email: 'dev@example.com',
      password: 'dev-password',
    });
    const callback = await browser.follow(accepted, idp.issuer, CLIENT.redirectUris[0]);
    const code = new URL(callback.headers.get('location')!).searchParams.get('code')!;

    const tokenResponse = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CLIENT.redirectUris[0],
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        code_verifier: pkcePair().verifier,
      }),
    });
    expect(tokenResponse.status).toBe(400);
    expect(await tokenResponse.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('shows a signed-out page when no post-logout redirect is requested', async () => {
    const browser = new Browser();
    const endSessionUrl = `${discovery.end_session_endpoint}?client_id=${CLIENT.clientId}`;
    const confirmation = await browser.request(endSessionUrl);
    expect(confirmation.status).toBe(200);
    const confirmationHtml = await confirmation.text();
    expect(parseForm(confirmationHtml).fields).toMatchObject({ logout: 'yes', xsrf: expect.any(String) });

    const confirmed = await browser.submitForm(endSessionUrl, confirmationHtml);
    const signedOut = await browser.follow(confirmed, idp.issuer, CLIENT.postLogoutRedirectUris[0]);
    expect(signedOut.status).toBe(200);
    expect(await signedOut.text()).toContain('You are signed out');
  });

  it('escapes what it echoes back and renders errors as a page', async () => {
    const browser = new Browser();
    const start = await browser.request(authorizationUrl({ state: 's', login_hint: '"><script>alert(1)</script>' }));
    const loginPage = await browser.follow(start, idp.issuer, CLIENT.redirectUris[0]);
    const html = await loginPage.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;');

    const unknownClient = await fetch(
      `${discovery.authorization_endpoint}?client_id=nobody&response_type=code&scope=openid&redirect_uri=http://x/cb`,
      { redirect: 'manual' },
    );
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.headers.get('content-type')).toContain('text/html');
    expect(await unknownClient.text()).toContain('invalid_client');

    const staleInteraction = await fetch(`${idp.issuer}/interaction/does-not-exist`);
    expect(staleInteraction.status).toBe(400);
    expect(await staleInteraction.text()).toContain('sign in again');
  });
});
