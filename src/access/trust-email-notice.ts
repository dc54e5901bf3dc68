import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { IdentityProvider } from '../identity-providers/identity-provider.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { UsersService } from '../users/users.service.js';

/** Microsoft Entra ID's issuers; it never sends `email_verified`. */
const ENTRA_ISSUER = /^https:\/\/login\.microsoftonline\.(com|us)\/|^https:\/\/sts\.windows\.net\//;

/**
 * Since linking by email needs a verified email, a deployment whose provider never sends
 * `email_verified` (Entra ID) or matches on `preferred_username` links nobody new until it sets
 * `trustEmail`. Start-up says so once, naming the providers, while some active users have no
 * linked identity yet (those are the ones who could no longer sign in).
 */
@Injectable()
export class TrustEmailNotice implements OnApplicationBootstrap {
  private readonly logger = new Logger(TrustEmailNotice.name);

  constructor(
    private readonly registry: IdentityProviderRegistry,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const providers = this.registry.all().filter(needsTrustEmail);
    if (providers.length === 0) return;
    const unlinked = await this.users.countActiveWithoutIdentity().catch(() => 0);
    if (unlinked === 0) return;
    this.logger.warn(
      `${providers.map((provider) => `${provider.id} (${provider.matchClaim === 'preferred_username' ? 'matches preferred_username' : 'sends no email_verified'})`).join(', ')}: ` +
        `${unlinked} active user(s) not yet linked can sign in through it only once it has trustEmail ` +
        `(OIDC_TRUST_EMAIL=true for the environment provider, "trustEmail": true through the API), ideally with emailDomains`,
    );
  }
}

export function needsTrustEmail(provider: Pick<IdentityProvider, 'issuer' | 'matchClaim' | 'access'>): boolean {
  if (provider.access.trustEmail) return false;
  return provider.matchClaim === 'preferred_username' || ENTRA_ISSUER.test(provider.issuer);
}
