import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UsersService } from '../users/users.service.js';
import { IdentityProviderRegistry } from './identity-provider.registry.js';

/**
 * The rule that keeps a way in: a provider may be disabled or deleted only while another enabled
 * provider or a break-glass admin remains. Otherwise nobody could sign in to repair it.
 */
@Injectable()
export class SignInFallback {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: IdentityProviderRegistry,
    private readonly users: UsersService,
  ) {}

  async assertAnotherWayIn(withoutProviderId: string, change: 'disable' | 'delete'): Promise<void> {
    if (this.registry.all().some((provider) => provider.id !== withoutProviderId)) return;
    if (this.config.breakGlass.enabled && (await this.users.hasBreakGlassAdmin())) return;
    throw new DomainException(
      'last_sign_in_method',
      HttpStatus.CONFLICT,
      `Cannot ${change} "${withoutProviderId}": it is the only enabled identity provider and no admin has a break-glass password, so nobody could sign in afterwards. Enable another provider, or give an admin a break-glass password (npm run cli -- users set-password), first.`,
    );
  }
}
