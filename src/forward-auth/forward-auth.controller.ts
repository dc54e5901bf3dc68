import { Controller, Get, Header, HttpStatus, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CsrfService } from '../auth/csrf.service.js';
import { Public } from '../auth/decorators.js';
import { bearerToken } from '../auth/guards/bearer-token.js';
import { SessionService } from '../auth/session/session.service.js';
import { anotherAccountLink, switchAccountForm } from '../auth/switch-account.js';
import { DomainException } from '../common/domain.exception.js';
import type { ProtectedApp } from '../config/app-config.js';
import { ForwardAuthCallers } from './forward-auth-callers.js';
import { ForwardAuthService, type ForwardAuthCaller, type ForwardAuthHeaders } from './forward-auth.service.js';
import { originalUrl, protectedOrigin } from './original-url.js';
import { SigningKeysService } from './signing-keys.service.js';

/**
 * Forward auth for the environment's other web apps: the reverse proxy asks `/auth/verify` before
 * each request (nginx `auth_request`, Traefik ForwardAuth, Caddy forward_auth) and copies the
 * identity headers of a 200 onto the request it lets through. The hottest path of the service: a
 * busy session or token is decided from memory, with the assertion signed for it a moment ago.
 */
@ApiTags('Forward auth')
@Controller()
export class ForwardAuthController {
  constructor(
    private readonly forwardAuth: ForwardAuthService,
    private readonly callers: ForwardAuthCallers,
    private readonly sessions: SessionService,
    private readonly csrf: CsrfService,
    private readonly keys: SigningKeysService,
  ) {}

  @Public()
  @Get('auth/verify')
  @ApiOperation({
    summary:
      'For a session cookie or `Authorization: Bearer <desktop or device access token>`: 200 with X-Auth-Request-* and X-Frontdoor-Assertion; 401 without either (a browser\'s carries in Location the login that returns to the original URL); 403 without the role (a browser\'s with Location /auth/forbidden) or for an unknown app',
  })
  verify(@Req() req: Request, @Res() res: Response): void | Promise<void> {
    const original = originalUrl(req);
    const app = this.forwardAuth.app(original);
    // Taken before the caller is looked up: a signature made after a revocation is never kept.
    const mark = this.forwardAuth.mark();
    const token = bearerToken(req);
    // A session or token used in the last few seconds is decided without waiting for anything.
    const known = this.callers.cached(req, token);
    if (known) return this.answer(res, { app, original, token, mark }, known);
    return this.callers.find(req, token).then((caller) => this.answer(res, { app, original, token, mark }, caller));
  }

  private answer(
    res: Response,
    asked: { app: ProtectedApp; original: URL | undefined; token: string | undefined; mark: number | undefined },
    caller: ForwardAuthCaller | undefined,
  ): void | Promise<void> {
    const { app } = asked;
    if (!caller) {
      if (asked.token !== undefined) {
        // A program: no page to be sent to, only the status.
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        throw new DomainException('invalid_token', HttpStatus.UNAUTHORIZED, 'The bearer token is unknown, expired or revoked.');
      }
      // The login that brings the browser back to this very URL, for the proxy to redirect to.
      res.setHeader('Location', this.forwardAuth.loginFor(app, asked.original));
      throw new DomainException('unauthenticated', HttpStatus.UNAUTHORIZED, `Sign in to use ${app.name}.`, { title: 'Sign-in required' });
    }
    if (!this.forwardAuth.allows(app, caller.user)) {
      // A person gets the page that names the role and offers another account; a program the status alone.
      if (caller.via === 'session') res.setHeader('Location', this.forwardAuth.forbiddenPageFor(app));
      throw this.forwardAuth.refusal(app, caller.user);
    }
    const headers = this.forwardAuth.admit(app, caller, asked.mark);
    if (headers instanceof Promise) return headers.then((signed) => send(res, signed));
    send(res, headers);
  }

  /**
   * Where the nginx and Caddy snippets send a browser that `/auth/verify` refused for lack of a role:
   * which app, which role, who is signed in, and **Use another account**, which comes back here and
   * from here goes on to the app once the account may enter it.
   */
  @Public()
  @Get('auth/forbidden')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The page a refused browser is sent to: the app, the role it needs, and Use another account' })
  async forbidden(@Query('app') raw: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const origin = protectedOrigin(raw);
    const app = origin === undefined ? undefined : this.forwardAuth.appByOrigin(origin);
    if (!app) {
      throw new DomainException('unknown_app', HttpStatus.NOT_FOUND, 'This address is not an app protected by this service.', {
        title: 'Unknown app',
        detail: 'Go back to the app and try again; if this page comes back, tell a platform administrator which address you used.',
        logDetail: typeof raw === 'string' ? `app=${raw.slice(0, 200)}` : 'no app named',
      });
    }
    const user = await this.sessions.currentUser(req);
    // Only a protected app's own origin, from the configuration: never a place the query names.
    if (user && this.forwardAuth.allows(app, user)) return res.redirect(302, `${app.origin}/`);
    const here = `/auth/forbidden?app=${encodeURIComponent(app.origin)}`;
    const needs = app.role ? `${app.name} needs the ${app.role} role` : `${app.name} is open to every active account of this environment`;
    throw new DomainException('forbidden', HttpStatus.FORBIDDEN, user ? `${needs}, which ${user.email} does not have.` : `${needs}.`, {
      title: `No access to ${app.name}`,
      detail: user ? 'Ask a platform administrator for the role, or sign in with another account.' : 'Sign in with an account that has it.',
      actions: user ? switchAccountForm(this.csrf.token(req), here) : anotherAccountLink(here),
    });
  }

  @Public()
  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys of the X-Frontdoor-Assertion signatures (RFC 7517)' })
  jwks(): { keys: object[] } {
    return this.keys.jwks();
  }
}

/**
 * The 200 itself: an empty body (Node adds `Content-Length: 0`) and the identity headers, written
 * without Express's `send`. `Cache-Control: no-store` is already set, as on every page (security headers).
 */
function send(res: Response, headers: ForwardAuthHeaders): void {
  res.setHeader('X-Auth-Request-User', headers['X-Auth-Request-User']);
  res.setHeader('X-Auth-Request-Email', headers['X-Auth-Request-Email']);
  res.setHeader('X-Auth-Request-Groups', headers['X-Auth-Request-Groups']);
  res.setHeader('X-Frontdoor-Assertion', headers['X-Frontdoor-Assertion']);
  res.end();
}
