import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';

import { findAccountByCredentials, parseGroups, type DevIdpAccount } from './dev-idp-accounts.js';
import { grantConsent } from './dev-idp-consent.js';
import { renderErrorPage, renderLoginPage } from './dev-idp-views.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export type InteractionHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const INTERACTION_PATH = /^\/interaction\/([^/]+)(\/login)?\/?$/;
const MAX_FORM_BYTES = 16 * 1024;

export function isInteractionRequest(req: IncomingMessage): boolean {
  return (req.url ?? '').startsWith('/interaction/');
}

/**
 * Our own login screen instead of oidc-provider's devInteractions, which accepts any password
 * and would make "wrong password" untestable.
 */
export function createInteractionHandler(provider: Provider, accounts: readonly DevIdpAccount[]): InteractionHandler {
  return async (req, res) => {
    try {
      await routeInteraction(provider, accounts, req, res);
    } catch (error) {
      sendInteractionError(res, error);
    }
  };
}

async function routeInteraction(
  provider: Provider,
  accounts: readonly DevIdpAccount[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const match = INTERACTION_PATH.exec(new URL(req.url ?? '/', 'http://dev-idp').pathname);
  if (!match) {
    return sendHtml(res, 404, renderErrorPage({ error: 'not_found', error_description: 'Unknown page.' }));
  }
  const [, uid, login] = match;
  const expectedMethod = login ? 'POST' : 'GET';
  if (req.method !== expectedMethod) {
    res.setHeader('Allow', expectedMethod);
    return sendHtml(res, 405, renderErrorPage({ error: 'method_not_allowed' }));
  }
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) {
    throw new errors.SessionNotFound('this page belongs to another sign-in attempt');
  }
  if (login) {
    return submitLogin(provider, accounts, interaction, req, res);
  }
  return showInteraction(provider, accounts, interaction, req, res);
}

async function showInteraction(
  provider: Provider,
  accounts: readonly DevIdpAccount[],
  interaction: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (interaction.prompt.name === 'consent') {
    const result = await grantConsent(provider, interaction);
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  }
  const hint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : '';
  sendHtml(res, 200, loginPage(accounts, interaction, hint));
}

async function submitLogin(
  provider: Provider,
  accounts: readonly DevIdpAccount[],
  interaction: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const form = await readForm(req);
  const email = form.get('email') ?? '';
  const account = findAccountByCredentials(accounts, email, form.get('password') ?? '');
  if (!account) {
    return sendHtml(res, 401, loginPage(accounts, interaction, email, 'Wrong email or password. Please try again.'));
  }
  const groups = parseGroups(form.get('groups'));
  if (groups) account.groups = groups;
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.id } },
    { mergeWithLastSubmission: false },
  );
}

function loginPage(accounts: readonly DevIdpAccount[], interaction: Interaction, email: string, error?: string) {
  return renderLoginPage({
    uid: interaction.uid,
    clientId: String(interaction.params.client_id ?? ''),
    email,
    error,
    accounts,
  });
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      throw new errors.InvalidRequest('form body too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendInteractionError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof errors.SessionNotFound) {
    return sendHtml(
      res,
      400,
      renderErrorPage({
        error: error.error,
        error_description:
          'This sign-in attempt has expired or was started in another browser. Go back to the application and sign in again.',
      }),
    );
  }
  if (error instanceof errors.OIDCProviderError) {
    return sendHtml(res, error.statusCode, renderErrorPage({ error: error.error, error_description: error.error_description }));
  }
  console.error('dev-idp interaction failed', error);
  sendHtml(res, 500, renderErrorPage({ error: 'server_error', error_description: 'The sign-in page failed. See the server log.' }));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}
