import { HttpStatus, Injectable } from '@nestjs/common';
import { DomainException } from '../../common/domain.exception.js';
import type { LoginStateCookie } from '../strategies/login-state.cookie.js';
import { createOidcStrategy } from '../strategies/oidc.strategy.js';
import { OidcIdentityProvider, ProviderUnavailableError } from './oidc-identity-provider.js';

export const DEFAULT_PROVIDER_ID = 'default';

/**
 * The configured identity providers. Each provider's Passport strategy is built once, the first
 * time its discovery document is available, and registered under `oidc:<id>`.
 */
@Injectable()
export class IdentityProviderRegistry {
  private readonly providers = new Map<string, OidcIdentityProvider>();
  private readonly strategies = new Map<string, Promise<void>>();

  constructor(
    providers: OidcIdentityProvider[],
    private readonly loginState: LoginStateCookie,
  ) {
    for (const provider of providers) this.providers.set(provider.id, provider);
  }

  get default(): OidcIdentityProvider {
    return this.get(DEFAULT_PROVIDER_ID);
  }

  all(): OidcIdentityProvider[] {
    return [...this.providers.values()];
  }

  get(id: string): OidcIdentityProvider {
    const provider = this.providers.get(id);
    if (!provider) throw new DomainException('unknown_provider', HttpStatus.NOT_FOUND, `No identity provider named "${id}"`);
    return provider;
  }

  /** Makes sure the provider's strategy exists; answers 503 while the provider cannot be used. */
  async ready(provider: OidcIdentityProvider): Promise<void> {
    let built = this.strategies.get(provider.id);
    if (!built) {
      built = provider.discover().then((metadata) => {
        createOidcStrategy(provider, metadata, this.loginState);
      });
      this.strategies.set(provider.id, built);
      built.catch(() => this.strategies.delete(provider.id));
    }
    try {
      await built;
    } catch (error) {
      const reason = error instanceof ProviderUnavailableError ? error.message : String(error);
      throw new DomainException('provider_unavailable', HttpStatus.SERVICE_UNAVAILABLE, `The identity provider ${provider.displayName} cannot be used right now.`, {
        title: 'Sign-in is unavailable',
        detail: 'Try again in a moment. If it keeps happening, tell the platform team.',
        logDetail: reason,
      });
    }
  }
}
