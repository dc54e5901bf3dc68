import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { DomainException, LoginRequiredException } from '../../common/domain.exception.js';
import { ApiTokensService } from '../api-tokens.service.js';
import type { Principal } from '../auth.types.js';
import { CsrfService } from '../csrf.service.js';
import { switchAccountForm } from '../switch-account.js';
import { ACCESS_METADATA, type AccessRule } from '../decorators.js';
import { SessionService } from '../session/session.service.js';
import { setRequestActor } from '../../observability/request-context.js';
import { bearerToken } from './bearer-token.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Deny by default: a route is open only when its decorator says so. */
@Injectable()
export class AccessGuard implements CanActivate {
  /** A route's rule never changes, so it is looked up in the decorators' metadata once per handler. */
  private readonly rules = new WeakMap<object, AccessRule>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
    private readonly apiTokens: ApiTokensService,
    private readonly csrf: CsrfService,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const rule = this.ruleOf(context);
    const req = context.switchToHttp().getRequest<Request>();
    // Checked before anything else, public routes included (forward auth's /auth/verify is one): a
    // route a break-glass session may use says so, every other one refuses it.
    if (!rule.breakGlass && isBreakGlassSession(req)) throw this.breakGlassRefusal(req);
    // Answered without a promise: open routes (health probes above all) should cost next to nothing here.
    if (rule.public) return true;
    // The route's own DesktopTokenGuard (attached by the same decorator) does the checking.
    if (rule.desktopToken) return true;
    // Likewise the SCIM routes' own ScimTokenGuard (the provisioning module's).
    if (rule.scimToken) return true;
    // A session whose user was read in the last few seconds is decided without waiting for anything.
    const known = this.cachedPrincipal(req, rule);
    if (known) return this.authorize(req, rule, known);
    return this.authenticate(req, rule).then((principal) => this.authorize(req, rule, principal));
  }

  private authorize(req: Request, rule: AccessRule, principal: Principal | undefined): boolean {
    if (!principal) {
      if (rule.browserLogin) throw new LoginRequiredException(req.originalUrl);
      throw new DomainException('unauthenticated', HttpStatus.UNAUTHORIZED, 'Sign in, or send an API token in the Authorization header');
    }
    const missing = (rule.roles ?? []).filter((role) => !principal.user.roles.includes(role));
    if (missing.length > 0) {
      throw new DomainException('forbidden', HttpStatus.FORBIDDEN, `This needs the ${missing.join(', ')} role, which ${principal.user.email} does not have.`, {
        title: 'Access denied',
        ...(rule.browserLogin && {
          detail: 'Ask a platform administrator for access, or sign out and use another account.',
          actions: switchAccountForm(this.csrf.token(req), req.originalUrl),
        }),
      });
    }
    req.principal = principal;
    setRequestActor({ id: principal.user.id, email: principal.user.email });
    return true;
  }

  /** Says why, and offers to sign in through the identity provider instead (ending the break-glass session). */
  private breakGlassRefusal(req: Request): DomainException {
    return new DomainException('break_glass_session', HttpStatus.FORBIDDEN, 'This session was opened with a break-glass password, which opens LifeTime only. Sign in through the identity provider for everything else.', {
      title: 'LifeTime only',
      detail: 'Fix the sign-in set-up in LifeTime, then use your company account here.',
      actions: switchAccountForm(this.csrf.token(req), req.originalUrl),
    });
  }

  private ruleOf(context: ExecutionContext): AccessRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (!rule) {
      rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, [handler, context.getClass()]) ?? {};
      this.rules.set(handler, rule);
    }
    return rule;
  }

  private async authenticate(req: Request, rule: AccessRule): Promise<Principal | undefined> {
    const bearer = bearerToken(req);
    if (bearer) {
      const user = rule.apiTokens ? await this.apiTokens.authenticate(bearer) : undefined;
      if (!user) throw new DomainException('invalid_token', HttpStatus.UNAUTHORIZED, 'The bearer token is not valid here');
      return { user, via: 'api-token' };
    }
    const user = await this.sessions.currentUser(req);
    if (!user) return undefined;
    if (this.crossOriginChange(req, rule)) {
      // A session cookie may change data only from pages of this origin (cross-site request forgery).
      throw new DomainException('cross_origin', HttpStatus.FORBIDDEN, 'Session-authenticated changes must come from this origin');
    }
    return { user, via: 'session', breakGlass: req.session.breakGlass === true };
  }

  /** `authenticate`'s answer when it needs nothing but memory; undefined whenever it would do more (or refuse). */
  private cachedPrincipal(req: Request, rule: AccessRule): Principal | undefined {
    if (bearerToken(req) || this.crossOriginChange(req, rule)) return undefined;
    const user = this.sessions.cachedCurrentUser(req);
    return user && { user, via: 'session', breakGlass: req.session.breakGlass === true };
  }

  private crossOriginChange(req: Request, rule: AccessRule): boolean {
    return rule.apiTokens === true && !SAFE_METHODS.has(req.method) && !this.sameOrigin(req);
  }

  private sameOrigin(req: Request): boolean {
    return req.header('origin') === this.config.publicUrl.origin;
  }
}

/**
 * A session opened with a break-glass password that has not reached its end. One that has ended is
 * no session at all: the routes that read it end it (SessionService.currentUser).
 */
function isBreakGlassSession(req: Request): boolean {
  const session = req.session;
  return session?.breakGlass === true && (session.endsAt === undefined || Date.now() < session.endsAt);
}
