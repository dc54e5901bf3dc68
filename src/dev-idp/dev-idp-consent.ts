import type { InteractionResults, KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';

type Grant = InstanceType<Provider['Grant']>;
type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

interface MissingConsent {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/**
 * `loadExistingGrant` hook: every client of this provider is first-party, so whatever OIDC
 * scopes and claims a request asks for are granted up front and no consent prompt appears.
 */
export async function loadGrantWithRequestedScopes(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const accountId = oidc.session?.accountId;
  if (!oidc.client || !accountId) {
    return undefined;
  }
  const grant = await findOrCreateGrant(oidc.provider, {
    grantId: oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client.clientId),
    accountId,
    clientId: oidc.client.clientId,
  });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes]);
  grant.addOIDCClaims([...oidc.requestParamClaims]);
  await grant.save();
  return grant;
}

/**
 * Resolves a consent prompt that still shows up (an explicit `prompt=consent`, or resource
 * scopes) by granting what it lists, without asking the user.
 */
export async function grantConsent(provider: Provider, interaction: Interaction): Promise<InteractionResults> {
  const accountId = interaction.session?.accountId;
  const clientId = String(interaction.params.client_id);
  if (!accountId) {
    throw new Error('consent requested before the user signed in');
  }
  const grant = await findOrCreateGrant(provider, { grantId: interaction.grantId, accountId, clientId });
  addMissingConsent(grant, interaction.prompt.details as MissingConsent);
  const grantId = await grant.save();
  return { consent: { grantId } };
}

async function findOrCreateGrant(
  provider: Provider,
  { grantId, accountId, clientId }: { grantId?: string; accountId: string; clientId: string },
): Promise<Grant> {
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  // A grant left over from another user of the same browser session must not be reused.
  if (existing && existing.accountId === accountId && existing.clientId === clientId) {
    return existing;
  }
  return new provider.Grant({ accountId, clientId });
}

function addMissingConsent(grant: Grant, missing: MissingConsent): void {
  if (missing.missingOIDCScope) {
    grant.addOIDCScope(missing.missingOIDCScope);
  }
  if (missing.missingOIDCClaims) {
    grant.addOIDCClaims(missing.missingOIDCClaims);
  }
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes);
  }
}
