import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { RevocationListener } from '../auth/session/revocation-listener.js';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig, type ProtectedApp } from '../config/app-config.js';
import type { User } from '../users/user.entity.js';
import { AssertionCache, type AssertionSubject, type CachedAssertion } from './assertion-cache.js';
import { SigningKeysService } from './signing-keys.service.js';

/** An assertion lives one minute: long enough for the hop to the app, too short to be worth stealing. */
export const ASSERTION_TTL_SECONDS = 60;
/**
 * An assertion is handed out again while it has at least half of its minute left, so an app that
 * caches what it verified for a while never holds one much older than a fresh one.
 */
export const ASSERTION_REUSE_SECONDS = ASSERTION_TTL_SECONDS / 2;

/** The headers a proxy copies onto the request it lets through (the names oauth2-proxy uses). */
export interface ForwardAuthHeaders {
  'X-Auth-Request-User': string;
  'X-Auth-Request-Email': string;
  'X-Auth-Request-Groups': string;
  'X-Frontdoor-Assertion': string;
}

/** Headers signed for a caller and an app, with the key that signed them. */
interface SignedHeaders {
  headers: ForwardAuthHeaders;
  kid: string;
}

/** Who asks through the proxy: the user of a live session or desktop token, and that session or token. */
export interface ForwardAuthCaller {
  user: User;
  via: 'session' | 'desktop-token';
  /** What a signed assertion may be cached under; undefined: sign every time. */
  subject?: AssertionSubject;
}

/** Decides whether a signed-in user may enter a protected app, and says who they are. */
@Injectable()
export class ForwardAuthService {
  private readonly apps: Map<string, ProtectedApp>;
  private readonly loginUrl: URL;
  private readonly forbiddenUrl: URL;
  /** With the key each was signed with: after a rotation, apps get assertions of the new key at once. */
  private readonly assertions: AssertionCache<SignedHeaders>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: SigningKeysService,
    listener: RevocationListener,
  ) {
    this.apps = new Map(config.forwardAuth.protectedApps.map((app) => [app.origin, app]));
    this.loginUrl = new URL('/auth/login', config.publicUrl);
    this.forbiddenUrl = new URL('/auth/forbidden', config.publicUrl);
    this.assertions = new AssertionCache(listener);
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

  /** The page that tells a person which role the app needs (`/auth/forbidden`), for the proxy to send a refused browser to. */
  forbiddenPageFor(app: ProtectedApp): string {
    const url = new URL(this.forbiddenUrl);
    url.searchParams.set('app', app.origin);
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

  /** The protected app of exactly this origin, if there is one. */
  appByOrigin(origin: string): ProtectedApp | undefined {
    return this.apps.get(origin);
  }

  /** Whether the user has what the app asks for (its role, if it names one). */
  allows(app: ProtectedApp, user: User): boolean {
    return !app.role || user.roles.includes(app.role);
  }

  refusal(app: ProtectedApp, user: User): DomainException {
    return new DomainException('forbidden', HttpStatus.FORBIDDEN, `${app.name} needs the ${app.role} role, which ${user.email} does not have.`, {
      title: 'Access denied',
    });
  }

  /** A mark to take before the caller is looked up: an assertion signed for it is kept only if nothing was revoked since. */
  mark(): number | undefined {
    return this.assertions.mark();
  }

  /**
   * The headers for a caller `allows` admits: from memory while an assertion made for this very
   * session or token and app has half its life left, otherwise newly signed (a promise).
   */
  admit(app: ProtectedApp, caller: ForwardAuthCaller, mark: number | undefined): ForwardAuthHeaders | Promise<ForwardAuthHeaders> {
    if (!this.allows(app, caller.user)) throw this.refusal(app, caller.user);
    const { subject } = caller;
    if (!subject) return this.sign(app, caller.user).then((made) => made.headers.headers);
    const cached = this.assertions.get(subject, app.origin);
    if (cached && cached.kid === this.keys.activeKid()) return cached.headers;
    return this.assertions.sign(subject, app.origin, mark, () => this.sign(app, caller.user)).then((signed) => signed.headers);
  }

  private async sign(app: ProtectedApp, user: User): Promise<CachedAssertion<SignedHeaders>> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const { jwt, kid } = await this.keys.sign(
      { aud: app.origin, sub: user.id, email: user.email, name: user.displayName, roles: user.roles },
      { issuedAt, ttlSeconds: ASSERTION_TTL_SECONDS },
    );
    const headers: ForwardAuthHeaders = {
      'X-Auth-Request-User': user.id,
      'X-Auth-Request-Email': user.email,
      'X-Auth-Request-Groups': user.roles.join(','),
      'X-Frontdoor-Assertion': jwt,
    };
    return { headers: { headers, kid }, reuseUntil: (issuedAt + ASSERTION_REUSE_SECONDS) * 1000 };
  }
}
