import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { html, page } from '../common/html.js';
import { CsrfService } from './csrf.service.js';
import { Public } from './decorators.js';
import { safeReturnTo } from './return-to.js';
import { SessionService } from './session/session.service.js';
import { anotherAccountLink } from './switch-account.js';
import { LoginService } from './login.service.js';
import { DEFAULT_PROVIDER_ID } from './providers/identity-provider.registry.js';

/** Browser routes of the sign-in flow. */
@ApiExcludeController()
@Controller('auth')
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: SessionService,
    private readonly csrf: CsrfService,
  ) {}

  @Public()
  @Get('login')
  startDefault(@Query('returnTo') returnTo: unknown, @Query('prompt') prompt: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.login.start(DEFAULT_PROVIDER_ID, returnTo, req, res, loginPrompt(prompt));
  }

  @Public()
  @Get('login/:providerId')
  start(@Param('providerId') providerId: string, @Query('returnTo') returnTo: unknown, @Query('prompt') prompt: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.login.start(providerId, returnTo, req, res, loginPrompt(prompt));
  }

  /** **Use another account**: ends this session, then a login at which the provider asks for the account again. */
  @Public()
  @Post('switch-account')
  @HttpCode(303)
  async switchAccount(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    await this.sessions.end(req, res);
    res.redirect(303, `/auth/login?prompt=login&returnTo=${encodeURIComponent(safeReturnTo(body?.returnTo))}`);
  }

  @Public()
  @Get('callback/:providerId')
  async callback(@Param('providerId') providerId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.redirect(302, await this.login.finish(providerId, req));
  }

  @Public()
  @Post('logout')
  @HttpCode(303)
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
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
        <a class="button secondary" href="/lifetime">Sign in to LifeTime</a></p>
        <p class="muted">Not you, or need a different account? ${anotherAccountLink('/')}</p>`,
    });
  }
}

/** Only `prompt=login` is passed on; anything else is ignored. */
function loginPrompt(prompt: unknown): { prompt?: 'login' } {
  return prompt === 'login' ? { prompt: 'login' } : {};
}
