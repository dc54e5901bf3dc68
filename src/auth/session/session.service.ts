import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { User } from '../../users/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { sha256Hex } from '../../common/secrets.js';
import { currentRequest } from '../../observability/request-context.js';
import { SESSION_STORE } from './session.constants.js';
import type { TypeOrmSessionStore } from './typeorm-session.store.js';

export const SESSION_COOKIE = 'frontdoor.sid';

/** A console session as an admin sees it; `id` is the SHA-256 of the session id, never the id itself. */
export interface ConsoleSessionView {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  ip: string;
  userAgent: string;
  providerId: string | null;
  breakGlass: boolean;
}

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
    @Inject(SESSION_STORE) private readonly store: TypeOrmSessionStore,
    private readonly users: UsersService,
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
    const pending = req.session.oidc;
    await new Promise<void>((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
    if (pending && Object.keys(pending).length > 0) req.session.oidc = pending;
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
    await new Promise<void>((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
  }

  /** The signed-in, still active user of this session; ends the session when it is no longer valid. */
  async currentUser(req: Request): Promise<User | undefined> {
    const session = req.session;
    if (!session?.userId) return undefined;
    const tooOld =
      !session.authenticatedAt || Date.now() - session.authenticatedAt > this.config.session.absoluteTimeoutSeconds * 1000 || (session.endsAt !== undefined && Date.now() >= session.endsAt);
    const user = tooOld ? null : await this.users.findById(session.userId);
    if (!user?.active) {
      await this.destroy(req);
      return undefined;
    }
    return user;
  }

  async end(req: Request, res: Response): Promise<EndedSession | undefined> {
    if (!req.session) return undefined;
    const ended: EndedSession = { providerId: req.session.providerId, idToken: req.session.idToken };
    await this.destroy(req);
    res.clearCookie(SESSION_COOKIE, { path: '/', domain: this.config.forwardAuth.cookieDomain, httpOnly: true, sameSite: 'lax', secure: this.config.session.secureCookie });
    return ended;
  }

  endAllForUser(userId: string): Promise<number> {
    return this.store.destroyForUser(userId);
  }

  async listForUser(userId: string): Promise<ConsoleSessionView[]> {
    const rows = await this.store.listForUser(userId);
    return rows.map(({ sid, data, expiresAt }) => ({
      id: sha256Hex(sid),
      createdAt: new Date(data.authenticatedAt ?? 0),
      expiresAt,
      ip: data.ip ?? '',
      userAgent: data.userAgent ?? '',
      providerId: data.providerId ?? null,
      breakGlass: data.breakGlass === true,
    }));
  }

  /** Ends one of a user's sessions by the id `listForUser` shows; false when there is none. */
  revokeForUser(userId: string, id: string): Promise<boolean> {
    return this.store.destroyForUserByDigest(userId, id);
  }

  private destroy(req: Request): Promise<void> {
    return new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
  }
}
