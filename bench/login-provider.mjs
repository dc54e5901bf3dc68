// The development OpenID Provider of the compiled service (dist/dev-idp), in a process of its own,
// so that the login bench measures the service's CPU without the provider's in it.
//   BENCH_OP_CLIENTS   JSON array of { clientId, clientSecret, redirectUris } (client_secret_post)
//   BENCH_OP_ACCOUNTS  JSON array of extra accounts { id, email, password, name } (email verified)
// Listens on 127.0.0.1 (any port) and prints one line of JSON once it answers: {"issuer": "..."}.
import { DEV_IDP_ACCOUNTS, startDevIdp } from '../dist/dev-idp/dev-idp.js';

const clients = JSON.parse(process.env.BENCH_OP_CLIENTS ?? '[]').map((client) => ({ ...client, postLogoutRedirectUris: [] }));
const extra = JSON.parse(process.env.BENCH_OP_ACCOUNTS ?? '[]').map((account) => ({ emailVerified: true, note: '', groups: ['staff'], ...account }));
const provider = await startDevIdp({ port: 0, issuerHost: '127.0.0.1', clients, accounts: [...DEV_IDP_ACCOUNTS, ...extra] });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    void provider.close().finally(() => process.exit(0));
  });
}
process.stdout.write(`${JSON.stringify({ issuer: provider.issuer })}\n`);
