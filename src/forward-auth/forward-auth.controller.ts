import { Controller, Get, Header, HttpStatus, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/decorators.js';
import { SessionService } from '../auth/session/session.service.js';
import { DomainException } from '../common/domain.exception.js';
import { ForwardAuthService } from './forward-auth.service.js';
import { originalUrl } from './original-url.js';
import { SigningKeysService } from './signing-keys.service.js';

/**
 * Forward auth for the environment's other web apps: the reverse proxy asks `/auth/verify` before
 * each request (nginx `auth_request`, Traefik ForwardAuth, Caddy forward_auth) and copies the
 * identity headers of a 200 onto the request it lets through. A hot path: one session lookup, no
 * other database round trip (the signing keys are in memory).
 */
@ApiTags('Forward auth')
@Controller()
export class ForwardAuthController {
  constructor(
    private readonly forwardAuth: ForwardAuthService,
    private readonly sessions: SessionService,
    private readonly keys: SigningKeysService,
  ) {}

  @Public()
  @Get('auth/verify')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: '200 with X-Auth-Request-* and X-Frontdoor-Assertion; 401 without a session (its Location is the login that returns to the original URL); 403 without the role or for an unknown app' })
  async verify(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    const original = originalUrl(req);
    const app = this.forwardAuth.app(original);
    const user = await this.sessions.currentUser(req);
    if (!user) {
      // The login that brings the browser back to this very URL, for the proxy to redirect to.
      res.setHeader('Location', this.forwardAuth.loginFor(app, original));
      throw new DomainException('unauthenticated', HttpStatus.UNAUTHORIZED, `Sign in to use ${app.name}.`, { title: 'Sign-in required' });
    }
    res.set({ ...(await this.forwardAuth.admit(app, user)) });
    return '';
  }

  @Public()
  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys of the X-Frontdoor-Assertion signatures (RFC 7517)' })
  jwks(): { keys: object[] } {
    return this.keys.jwks();
  }
}
