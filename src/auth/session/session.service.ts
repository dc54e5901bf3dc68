import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { User } from '../../users/user.entity.js';
import { currentRequest } from '../../observability/request-context.js';
import { ActiveUsersService } from './active-users.service.js';
import { SESSION_STORE } from './session.constants.js';
import type { SessionRecord } from './session.entity.js';
import { SESSION_COOKIE } from './session.middleware.js';
import type { SessionStore } from './session.store.js';

/** A console session as an admin sees it; `id` is the SHA-256 of the session id, never the id itself. */
export interface SessionLogin {
  user: User;
  providerId?: string;
  idToken?: string;
  providerSid?: string;
  /** A break-glass session: LifeTime only, ending after this many seconds. */
  breakGlassSeconds?: number;
}

export interface EndedSession {
  providerId?: string;
  idToken?: string;
}

/** How often expired session rows are removed (they are never served once expired anyway). */
const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

@Injectable()
export class SessionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionService.name);
  private cleanup?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    private readonly users: ActiveUsersService,
  ) {}

  onApplicationBootstrap(): void {
    this.cleanup = setInterval(() => {
      this.store.deleteExpired().catch((error: Error) => this.logger.warn(`expired session cleanup failed: ${error.message}`));
    }, CLEANUP_INTERVAL_MS);
    this.cleanup.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.cleanup);
  }

  /** A fresh session id at login, so an id planted before login (fixation) is worth nothing. */
  async establish(req: Request, login: SessionLogin): Promise<void> {
    await req.session.regenerate();
    req.session.userId = login.user.id;
    req.session.providerId = login.providerId;
    req.session.idToken = login.idToken;
    req.session.providerSid = login.providerSid;
    req.session.authenticatedAt = Date.now();
    if (login.breakGlassSeconds !== undefined) {
      req.session.breakGlass = true;
      req.session.endsAt = req.session.authenticatedAt + login.breakGlassSeconds * 1000;
    }
    const context = currentRequest();
    req.session.ip = context?.ip;
    req.session.userAgent = context?.userAgent;
    await req.session.save();
  }

  /** The signed-in, still active user of this session; ends the session when it is no longer valid. */
  async currentUser(req: Request): Promise<User | undefined> {
    const session = req.session;
    if (!session?.userId) return undefined;
    const user = this.withinLifetime(req) ? await this.users.find(session.userId) : undefined;
    if (!user) {
      await this.destroy(req);
      return undefined;
    }
    return user;
  }

  /**
   * `currentUser` answered from memory, without a promise, when this session's user was read in the
   * last few seconds; undefined when that needs a query or the session has to end (then ask `currentUser`).
   */
  cachedCurrentUser(req: Request): User | undefined {
    const userId = req.session?.userId;
    return userId && this.withinLifetime(req) ? this.users.cached(userId) : undefined;
  }

  private withinLifetime(req: Request): boolean {
    const { authenticatedAt, endsAt } = req.session;
    const now = Date.now();
    return authenticatedAt !== undefined && now - authenticatedAt <= this.config.session.absoluteTimeoutSeconds * 1000 && (endsAt === undefined || now < endsAt);
  }

  async end(req: Request, res: Response): Promise<EndedSession | undefined> {
    if (!req.session) return undefined;
    const ended: EndedSession = { providerId: req.session.providerId, idToken: req.session.idToken };
    await this.destroy(req);
    res.clearCookie(SESSION_COOKIE, { path: '/', domain: this.config.forwardAuth.cookieDomain, httpOnly: true, sameSite: 'lax', secure: this.config.session.secureCookie });
    return ended;
  }

  /*
   * Every way a session ends from outside goes through the methods below (and the store's destroy
   * methods): each returns once the session is refused here and on every other instance.
   */

  /** Deactivation or the admin's "end all": every session of the user ends. */
  async endAllForUser(userId: string): Promise<number> {
    const ended = await this.store.destroyForUser(userId);
    this.users.forget(userId);
    return ended;
  }

  /** Ends one session by its public id (the admin's revoke); undefined when there is none. */
  endById(id: string, userId?: string): Promise<{ userId: string | null } | undefined> {
    return this.store.destroyById(id, userId);
  }

  /** Back-channel logout naming the provider's session. Returns the users whose sessions ended. */
  endByProviderSession(providerId: string, providerSid: string): Promise<string[]> {
    return this.store.destroyByProviderSid(providerId, providerSid);
  }

  /** Back-channel logout naming only the subject: every session of that user through that provider. */
  endForUserAtProvider(userId: string, providerId: string): Promise<string[]> {
    return this.store.destroyForUserAndProvider(userId, providerId);
  }

  /** The public id (the one admins see) of this request's session, if it is stored. */
  async publicIdOf(req: Request): Promise<string | undefined> {
    return req.session?.stored ? this.store.publicId(req.session.id) : undefined;
  }

  listForUser(userId: string): Promise<SessionRecord[]> {
    return this.store.listForUser(userId);
  }

  private destroy(req: Request): Promise<void> {
    return req.session.destroy();
  }
}
