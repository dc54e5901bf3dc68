import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig, type ProtectedApp } from '../config/app-config.js';
import type { User } from '../users/user.entity.js';
import { SigningKeysService } from './signing-keys.service.js';

/** An assertion lives one minute: long enough for the hop to the app, too short to be worth stealing. */
export const ASSERTION_TTL_SECONDS = 60;

/** The headers a proxy copies onto the request it lets through (the names oauth2-proxy uses). */
export interface ForwardAuthHeaders {
  'X-Auth-Request-User': string;
  'X-Auth-Request-Email': string;
  'X-Auth-Request-Groups': string;
  'X-Frontdoor-Assertion': string;
}

/** Decides whether a signed-in user may enter a protected app, and says who they are. */
@Injectable()
export class ForwardAuthService {
  private readonly apps: Map<string, ProtectedApp>;
  private readonly loginUrl: URL;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: SigningKeysService,
  ) {
    this.apps = new Map(config.forwardAuth.protectedApps.map((app) => [app.origin, app]));
    this.loginUrl = new URL('/auth/login', config.publicUrl);
  }

  /**
   * Where a browser without a session goes to sign in and come back to `original` (the app's
   * address without one), with the whole URL encoded into `returnTo`: a proxy's own configuration
   * language cannot always encode it.
   */
  loginFor(app: ProtectedApp, original: URL | undefined): string {
    const url = new URL(this.loginUrl);
    url.searchParams.set('returnTo', original?.href ?? `${app.origin}/`);
    return url.href;
  }

  /** The protected app the URL belongs to; 403 for any other origin (or none the proxy vouched for). */
  app(url: URL | undefined): ProtectedApp {
    const app = url && this.apps.get(url.origin);
    if (!app) {
      throw new DomainException('unknown_app', HttpStatus.FORBIDDEN, 'This address is not an app protected by this service.', {
        logDetail: url ? `origin ${url.origin} is not in PROTECTED_APPS` : 'no original URL from a trusted proxy',
      });
    }
    return app;
  }

  async admit(app: ProtectedApp, user: User): Promise<ForwardAuthHeaders> {
    if (app.role && !user.roles.includes(app.role)) {
      throw new DomainException('forbidden', HttpStatus.FORBIDDEN, `${app.name} needs the ${app.role} role, which ${user.email} does not have.`, {
        title: 'Access denied',
      });
    }
    const assertion = await this.keys.sign({ aud: app.origin, sub: user.id, email: user.email, name: user.displayName, roles: user.roles }, ASSERTION_TTL_SECONDS);
    return {
      'X-Auth-Request-User': user.id,
      'X-Auth-Request-Email': user.email,
      'X-Auth-Request-Groups': user.roles.join(','),
      'X-Frontdoor-Assertion': assertion,
    };
  }
}
