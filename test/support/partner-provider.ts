import { IdentityProvidersService, type NewProvider } from '../../src/identity-providers/identity-providers.service.js';
import { startRogueOp, type RogueOp } from './rogue-op.js';
import type { TestService } from './service.js';

export const PARTNER_CLIENT = { clientId: 'front-door-partner', clientSecret: 'partner-client-secret-0123456789' };

/**
 * A second provider whose every answer the test controls (a rogue OP), stored in the service as
 * `partner` with the given settings: the provider of a partner company, or of another tenant.
 */
export async function addPartnerProvider(env: TestService, settings: Partial<NewProvider> = {}): Promise<RogueOp> {
  const op = await startRogueOp(PARTNER_CLIENT);
  await env.service.app.get(IdentityProvidersService).create({
    id: 'partner',
    displayName: 'Partner Co',
    issuer: op.issuer,
    clientId: PARTNER_CLIENT.clientId,
    clientSecret: PARTNER_CLIENT.clientSecret,
    ...settings,
  });
  return op;
}
