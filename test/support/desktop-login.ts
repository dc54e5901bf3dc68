import { createHash, randomBytes } from 'node:crypto';
import type { TestBrowser } from './browser.js';
import { clickOpen } from './forms.js';

export interface DesktopTokens {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: { id: string; email: string; displayName: string };
}

/** What the Studio does first: a new handoff (the Service Studio's by default), with the PKCE verifier kept for the redemption. */
export async function startHandoff(baseUrl: string, client = 'service-studio'): Promise<{ id: string; browserUrl: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const response = await fetch(`${baseUrl}/api/desktop/handoffs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client, codeChallenge: createHash('sha256').update(verifier).digest('base64url'), codeChallengeMethod: 'S256', redirectUri: 'http://127.0.0.1:9/callback' }),
  });
  if (response.status !== 201) throw new Error(`creating a handoff: HTTP ${response.status}`);
  return { ...((await response.json()) as { id: string; browserUrl: string }), verifier };
}

/** The whole Studio handoff over HTTP, with `browser` already signed in to `baseUrl`'s consoles. */
export async function desktopLogin(baseUrl: string, browser: TestBrowser, client = 'service-studio'): Promise<DesktopTokens> {
  const handoff = await startHandoff(baseUrl, client);
  const page = await browser.open(handoff.browserUrl);
  if (page.status !== 200) throw new Error(`handoff page answered HTTP ${page.status}`);
  const { href } = await clickOpen(browser, page);
  const code = href.searchParams.get('code');
  const redeemed = await fetch(`${baseUrl}/api/desktop/handoffs/${handoff.id}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, codeVerifier: handoff.verifier }),
  });
  if (redeemed.status !== 200) throw new Error(`handoff not redeemed: HTTP ${redeemed.status}`);
  return (await redeemed.json()) as DesktopTokens;
}

export function refresh(baseUrl: string, refreshToken: unknown): Promise<Response> {
  return fetch(`${baseUrl}/api/desktop/token/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken }),
  });
}

export function desktopMe(baseUrl: string, accessToken: string): Promise<Response> {
  return fetch(`${baseUrl}/api/desktop/me`, { headers: { authorization: `Bearer ${accessToken}` } });
}
