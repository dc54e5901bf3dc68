import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UsersModule } from '../users/users.module.js';
import { ApiToken } from './api-token.entity.js';
import { ApiTokensService } from './api-tokens.service.js';
import { AdmissionGate } from './admission-gate.js';
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
import { FreshSignIn } from './fresh-sign-in.js';
import { LoginOutcomes } from './login-outcomes.js';
import { LoginRefusals } from './login-refusals.js';
import { ActiveUsersService } from './session/active-users.service.js';
import { RevocationListener } from './session/revocation-listener.js';
import { SESSION_MIDDLEWARE, SESSION_STORE } from './session/session.constants.js';
import { SessionRecord } from './session/session.entity.js';
import { sessionMiddleware } from './session/session.middleware.js';
import { SessionService } from './session/session.service.js';
import { SessionStore } from './session/session.store.js';

@Global()
@Module({
  imports: [UsersModule, TypeOrmModule.forFeature([SessionRecord, ApiToken, LogoutTokenJti])],
  controllers: [AuthController, BackchannelLogoutController, BreakGlassController],
  providers: [
    {
      provide: SESSION_STORE,
      inject: [APP_CONFIG, getRepositoryToken(SessionRecord), RevocationListener],
      useFactory: (config: AppConfig, repository: Repository<SessionRecord>, listener: RevocationListener) =>
        new SessionStore(repository, config.session.idleTimeoutSeconds * 1000, config.session.absoluteTimeoutSeconds * 1000, {
          listener,
          ttlMs: config.session.cacheSeconds * 1000,
        }),
    },
    {
      provide: SESSION_MIDDLEWARE,
      inject: [APP_CONFIG, SESSION_STORE],
      useFactory: (config: AppConfig, store: SessionStore) =>
        sessionMiddleware({
          store,
          secret: config.session.secret,
          idleTimeoutMs: config.session.idleTimeoutSeconds * 1000,
          cookie: { httpOnly: true, sameSite: 'lax', secure: config.session.secureCookie, path: '/', domain: config.forwardAuth.cookieDomain },
        }),
    },
    RevocationListener,
    ActiveUsersService,
    SessionService,
    CsrfService,
    ApiTokensService,
    LoginService,
    AdmissionGate,
    LoginRefusals,
    LoginOutcomes,
    FreshSignIn,
    LogoutTokenJtisRepository,
    BackchannelLogoutService,
    LoginEvents,
    BreakGlassAttemptsRepository,
    BreakGlassService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [SESSION_MIDDLEWARE, SessionService, ActiveUsersService, RevocationListener, CsrfService, ApiTokensService, LoginEvents, UsersModule],
})
export class AuthModule {}
