import { Body, Controller, Get, HttpStatus, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainException } from '../../common/domain.exception.js';
import { html, page, type Html } from '../../common/html.js';
import { CsrfService } from '../csrf.service.js';
import { Public } from '../decorators.js';
import { SessionService } from '../session/session.service.js';
import { BreakGlassService } from './break-glass.service.js';

/**
 * `/auth/break-glass`: a plain page, linked only from "Sign-in is unavailable". The form has no
 * CSRF token (there is no session yet to bind one to), but like every form it is refused when
 * another site sent it: a forged post would sign the victim in as an admin whose password the
 * forger holds.
 */
@ApiExcludeController()
@Controller('auth/break-glass')
export class BreakGlassController {
  private readonly logger = new Logger(BreakGlassController.name);

  constructor(
    private readonly breakGlass: BreakGlassService,
    private readonly sessions: SessionService,
    private readonly csrf: CsrfService,
  ) {}

  @Public({ breakGlass: true })
  @Get()
  show(@Res({ passthrough: true }) res: Response): string {
    this.assertEnabled();
    res.setHeader('Cache-Control', 'no-store');
    return form();
  }

  @Public({ breakGlass: true })
  @Post()
  async signIn(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.assertEnabled();
    this.csrf.verifySameSite(req);
    res.setHeader('Cache-Control', 'no-store');
    const email = typeof body?.email === 'string' ? body.email : '';
    const password = typeof body?.password === 'string' ? body.password : '';
    if (!email.trim() || !password) {
      this.logger.warn(`req=${req.id} break-glass form without email or password -> 400`);
      res.status(HttpStatus.BAD_REQUEST).type('html').send(form({ email, error: 'Enter the email address and the break-glass password.' }));
      return;
    }
    const outcome = await this.breakGlass.signIn({ email, password, ip: req.ip ?? '' });
    if (outcome.ok) {
      await this.sessions.establish(req, { user: outcome.user, breakGlassSeconds: this.breakGlass.sessionSeconds });
      res.redirect(303, '/lifetime');
      return;
    }
    if (outcome.reason === 'locked') {
      const minutes = Math.ceil(outcome.retryAfterSeconds / 60);
      res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
      res.status(HttpStatus.TOO_MANY_REQUESTS).type('html').send(form({ email, error: `Too many failed attempts. Break-glass sign-in is locked for this account or this address; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` }));
      return;
    }
    // The same words whether the account is unknown, not an admin, has no password, or the password is wrong.
    res.status(HttpStatus.UNAUTHORIZED).type('html').send(form({ email, error: 'Wrong email or password, or this account has no break-glass access.' }));
  }

  private assertEnabled(): void {
    if (!this.breakGlass.enabled) {
      throw new DomainException('break_glass_disabled', HttpStatus.NOT_FOUND, 'Break-glass sign-in is turned off in this environment.', {
        title: 'Break-glass sign-in is off',
        detail: 'Sign in through the identity provider, or ask the platform team.',
      });
    }
  }
}

function form(state: { email?: string; error?: string } = {}): string {
  const error: Html | '' = state.error ? html`<div class="error" role="alert"><p id="break-glass-error">${state.error}</p></div>` : '';
  return page({
    title: 'Break-glass sign-in',
    body: html`<h1>Break-glass sign-in</h1>
      <p>For platform administrators when the identity provider cannot be used. It opens <strong>LifeTime only</strong>, for a short time, and every use is recorded.</p>
      ${error}
      <form method="post" action="/auth/break-glass">
        <p><label>Email<br><input type="email" name="email" autocomplete="username" required value="${state.email ?? ''}" size="40"></label></p>
        <p><label>Break-glass password<br><input type="password" name="password" autocomplete="current-password" required size="40"></label></p>
        <p><button type="submit">Sign in to LifeTime</button></p>
      </form>
      <p class="muted">Everyone else: <a href="/">back to the start page</a>.</p>`,
  });
}
