import { Global, Inject, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import type { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UsersModule } from '../users/users.module.js';
import { ApiToken } from './api-token.entity.js';
import { ApiTokensService } from './api-tokens.service.js';
import { AuthController } from './auth.controller.js';
import { BreakGlassAttemptsRepository } from './break-glass/break-glass-attempts.repository.js';
import { BreakGlassController } from './break-glass/break-glass.controller.js';
import { BreakGlassService } from './break-glass/break-glass.service.js';
import { BackchannelLogoutController } from './backchannel/backchannel-logout.controller.js';
import { BackchannelLogoutService } from './backchannel/backchannel-logout.service.js';
import { LogoutTokenJti } from './backchannel/logout-token-jti.entity.js';
import { LogoutTokenJtisRepository } from './backchannel/logout-token-jtis.repository.js';
import { CsrfService } from './csrf.service.js';
import { AccessGuard } from './guards/access.guard.js';
import { LoginEvents } from './login-events.js';
import { LoginService } from './login.service.js';
import { ActiveUsersService } from './session/active-users.service.js';
import { RevocationListener } from './session/revocation-listener.js';
import { SESSION_STORE } from './session/session.constants.js';
import { SessionRecord } from './session/session.entity.js';
import { SESSION_COOKIE, SessionService } from './session/session.service.js';
import { TypeOrmSessionStore } from './session/typeorm-session.store.js';

/** Routes that never read or write a session. */
export const ROUTES_WITHOUT_SESSION = ['healthz', 'readyz', 'api/desktop/{*path}', 'api/docs-json', 'oauth/{*path}', '.well-known/{*path}'];

@Global()
@Module({
  imports: [UsersModule, TypeOrmModule.forFeature([SessionRecord, ApiToken, LogoutTokenJti])],
  controllers: [AuthController, BackchannelLogoutController, BreakGlassController],
  providers: [
    {
      provide: SESSION_STORE,
      inject: [APP_CONFIG, getRepositoryToken(SessionRecord), RevocationListener],
      useFactory: (config: AppConfig, repository: Repository<SessionRecord>, listener: RevocationListener) =>
        new TypeOrmSessionStore(repository, config.session.absoluteTimeoutSeconds * 1000, { listener, ttlMs: config.session.cacheSeconds * 1000 }),
    },
    RevocationListener,
    ActiveUsersService,
    SessionService,
    CsrfService,
    ApiTokensService,
    LoginService,
    LogoutTokenJtisRepository,
    BackchannelLogoutService,
    LoginEvents,
    BreakGlassAttemptsRepository,
    BreakGlassService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [SessionService, ActiveUsersService, RevocationListener, CsrfService, ApiTokensService, LoginEvents, UsersModule],
})
export class AuthModule implements NestModule {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SESSION_STORE) private readonly store: TypeOrmSessionStore,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const idleTimeoutMs = this.config.session.idleTimeoutSeconds * 1000;
    const sessions = session({
      name: SESSION_COOKIE,
      secret: this.config.session.secret,
      store: this.store,
      resave: false,
      // Anonymous visitors get no session row until a login starts.
      saveUninitialized: false,
      // Not on every answer: the cookie is re-sent (with its later idle expiry) when the session is
      // saved, which the idle refresh below causes once a minute per active session.
      rolling: false,
      // Undefined follows the app's `trust proxy` setting (a list of addresses included).
      proxy: this.config.trustProxy === false ? false : undefined,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.config.session.secureCookie,
        maxAge: idleTimeoutMs,
        path: '/',
        domain: this.config.forwardAuth.cookieDomain,
      },
    });
    // One middleware (so one check of the excluded routes per request): the session, then its idle refresh.
    const withIdleRefresh = (req: Request, res: Response, next: NextFunction) =>
      sessions(req, res, (error?: unknown) => {
        if (error) return next(error);
        if (req.session && this.store.dueForIdleRefresh(req.session, idleTimeoutMs)) req.session.lastSeenAt = Date.now();
        next();
      });
    consumer
      .apply(withIdleRefresh)
      // Only routes that can use a session pay for one (cookie parsing, signature, store lookup):
      // probes and the desktop token API never do. Every other route, including ones added later, gets it.
      .exclude(...ROUTES_WITHOUT_SESSION)
      .forRoutes('*');
  }
}
