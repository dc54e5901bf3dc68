import { Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { html, page } from '../common/html.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RateLimited } from '../limits/rate-limit.guard.js';
import { CsrfService } from './csrf.service.js';
import { Public } from './decorators.js';
import { LoginService } from './login.service.js';
import { DEFAULT_PROVIDER_ID } from './providers/identity-provider.registry.js';

/** Browser routes of the sign-in flow. */
@ApiExcludeController()
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly login: LoginService,
    private readonly csrf: CsrfService,
  ) {}

  @Public()
  @RateLimited('login')
  @Get('login')
  startDefault(@Query('returnTo') returnTo: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.login.start(DEFAULT_PROVIDER_ID, returnTo, req, res);
  }

  @Public()
  @RateLimited('login')
  @Get('login/:providerId')
  start(@Param('providerId') providerId: string, @Query('returnTo') returnTo: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.login.start(providerId, returnTo, req, res);
  }

  @Public()
  @RateLimited('login')
  @Get('callback/:providerId')
  async callback(@Param('providerId') providerId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.redirect(302, await this.login.finish(providerId, req));
  }

  @Public()
  @Post('logout')
  @HttpCode(303)
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    // No session (it expired while the page stayed open): nothing to end, nothing to forge.
    if (!req.session?.userId) return res.redirect(303, '/auth/signed-out');
    // Only this site's own Log out button (a form with the session's token) may end a session.
    // `Origin: null` is what Chromium sends under no-referrer; any named origin must be this one.
    const origin = req.header('origin');
    if (origin !== undefined && origin !== 'null' && origin !== this.config.publicUrl.origin) {
      throw new DomainException('cross_origin', HttpStatus.FORBIDDEN, 'Sign-out is only accepted from this site.', { title: 'Not signed out' });
    }
    this.csrf.verify(req);
    res.redirect(303, await this.login.logout(req, res));
  }

  @Public()
  @Get('signed-out')
  signedOut(): string {
    return page({
      title: 'Signed out',
      body: html`<h1>You are signed out</h1>
        <p>Your session in this environment has ended.</p>
        <p><a class="button" href="/servicecenter">Sign in to Service Center</a>
        <a class="button secondary" href="/lifetime">Sign in to LifeTime</a></p>`,
    });
  }
}
