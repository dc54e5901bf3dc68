/**
 * A real OpenID Provider (oidc-provider) in a process of its own, so a test can freeze it
 * (SIGSTOP), thaw it (SIGCONT), kill it and start it again on the same port.
 *
 * Environment: OP_PORT (0 for any), OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URI, OP_JWKS
 * (private signing keys as a JSON array, so a restarted provider signs with the same keys) and
 * OP_ACCOUNT (the email of its one account). Every sign-in is granted at once for that account.
 * Prints one line of JSON on stdout when it listens: {"issuer": "..."}.
 */
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const env = process.env;
const email = env.OP_ACCOUNT ?? 'frozen@example.com';
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(env.OP_PORT ?? 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env.OP_CLIENT_ID,
      client_secret: env.OP_CLIENT_SECRET,
      redirect_uris: [env.OP_REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: JSON.parse(env.OP_JWKS) },
  cookies: { keys: ['child-op-cookie-key-0123456789'] },
  scopes: ['openid', 'profile', 'email'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false,
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email, email_verified: true, name: 'Frozen User' }) }),
  // Every client's scopes are granted without a consent screen.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => false },
  features: { devInteractions: { enabled: false } },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
});

const handle = provider.callback();
server.on('request', async (req, res) => {
  if (!req.url.startsWith('/interaction/')) return handle(req, res);
  try {
    // The one account signs in without a form: the test is about the provider's process, not its pages.
    await provider.interactionFinished(req, res, { login: { accountId: 'frozen-user-1' } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  }
});

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
