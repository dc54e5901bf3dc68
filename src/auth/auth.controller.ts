import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { html, page } from '../common/html.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ProviderHealthService } from '../identity-providers/provider-health.service.js';
import { RateLimited } from '../limits/rate-limit.guard.js';
import { chooserPage } from './chooser-page.js';
import { FreshSignIn, FreshSignInRequired, LAST_SIGN_IN_COOKIE } from './fresh-sign-in.js';
import { CsrfService } from './csrf.service.js';
import { Public } from './decorators.js';
import { safeReturnTo } from './return-to.js';
import { SessionService } from './session/session.service.js';
import { anotherAccountLink } from './switch-account.js';
import { LoginService } from './login.service.js';

/** Remembers the provider a browser signed in with last, so it skips the chooser next time. */
export const LAST_PROVIDER_COOKIE = 'frontdoor.idp';
const LAST_PROVIDER_MAX_AGE_MS = 180 * 24 * 3600 * 1000;
const LOGIN_HINT_MAX = 320;

/** Browser routes of the sign-in flow. */
@ApiExcludeController()
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly login: LoginService,
    private readonly sessions: SessionService,
    private readonly csrf: CsrfService,
    private readonly health: ProviderHealthService,
    private readonly freshSignIn: FreshSignIn,
  ) {}

  /** One provider: straight to it. Several: the one remembered, the one the email belongs to, or the chooser. */
  @Public()
  @RateLimited('login')
  @Get('login')
  async choose(
    @Query('returnTo') rawReturnTo: unknown,
    @Query('email') email: unknown,
    @Query('choose') forceChooser: unknown,
    @Query('prompt') prompt: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const returnTo = this.login.returnTarget(rawReturnTo);
    const unavailableIds = this.unavailableProviders();
    const decision = this.login.decide({
      email: typeof email === 'string' ? email.slice(0, LOGIN_HINT_MAX) : undefined,
      lastProviderId: readCookie(req, LAST_PROVIDER_COOKIE),
      forceChooser: forceChooser !== undefined,
      unavailableIds,
    });
    if (decision.kind === 'none') {
      throw new DomainException('no_provider', HttpStatus.SERVICE_UNAVAILABLE, 'No identity provider is enabled in this environment.', {
        title: 'Sign-in is unavailable',
        detail: 'Tell the platform team: an identity provider must be enabled.',
        actions: this.config.breakGlass.enabled
          ? html`<p class="muted">Platform administrators can still reach LifeTime to repair sign-in: <a href="/auth/break-glass">break-glass sign-in</a>.</p>`
          : undefined,
      });
    }
    if (decision.kind === 'start') {
      return this.login.start(decision.providerId, returnTo, req, res, { loginHint: decision.loginHint, ...loginPrompt(prompt), ...(await this.freshIfRevoked(req)) });
    }
    const providers = this.login.providers();
    res
      .status(HttpStatus.OK)
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(
        chooserPage({
          providers: providers.map((provider) => ({
            id: provider.id,
            displayName: provider.displayName,
            ...(unavailableIds.has(provider.id) ? { unavailable: 'Unavailable right now: its last check failed. Choose another way to sign in, or try again later.' } : {}),
          })),
          returnTo,
          ...loginPrompt(prompt),
          notice: decision.notice,
          email: typeof email === 'string' ? email : undefined,
          emailRouting: providers.some((provider) => provider.emailDomains.length > 0),
        }),
      );
  }

  @Public()
  @RateLimited('login')
  @Get('login/:providerId')
  async start(
    @Param('providerId') providerId: string,
    @Query('returnTo') returnTo: unknown,
    @Query('login_hint') loginHint: unknown,
    @Query('prompt') prompt: unknown,
    @Query('max_age') maxAge: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const hint = typeof loginHint === 'string' && loginHint.length <= LOGIN_HINT_MAX ? loginHint : undefined;
    // Only max_age=0 (a fresh authentication, after a revocation) is passed on.
    const fresh = maxAge === '0' ? { maxAge: 0 as const } : await this.freshIfRevoked(req);
    return this.login.start(providerId, returnTo, req, res, { loginHint: hint, ...loginPrompt(prompt), ...fresh });
  }

  /** **Use another account**: ends this session, then a login at which the provider asks for the account again. */
  @Public({ breakGlass: true })
  @Post('switch-account')
  @HttpCode(303)
  async switchAccount(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const next = `/auth/login?prompt=login&returnTo=${encodeURIComponent(safeReturnTo(body?.returnTo))}`;
    // No stored session: nothing to end and nothing to forge, as for Log out.
    if (!req.session?.userId) return res.redirect(303, next);
    this.csrf.verify(req);
    await this.sessions.end(req, res);
    res.redirect(303, next);
  }

  @Public()
  @RateLimited('login')
  @Get('callback/:providerId')
  async callback(@Param('providerId') providerId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const done = await this.login.finish(providerId, req).catch((error: unknown) => {
      if (error instanceof FreshSignInRequired) return error;
      throw error;
    });
    // The provider's answer came from a sign-in older than an admin's revocation: round again, asking afresh.
    if (done instanceof FreshSignInRequired) return res.redirect(302, done.url);
    const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: this.config.session.secureCookie, maxAge: LAST_PROVIDER_MAX_AGE_MS, path: '/auth' };
    res.cookie(LAST_PROVIDER_COOKIE, done.providerId, cookie);
    res.cookie(LAST_SIGN_IN_COOKIE, this.freshSignIn.lastSignInCookie(done.user), cookie);
    res.redirect(302, done.returnTo);
  }

  @Public({ breakGlass: true })
  @Post('logout')
  @HttpCode(303)
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    // No session (it expired while the page stayed open): nothing to end, nothing to forge.
    if (!req.session?.userId) return res.redirect(303, '/auth/signed-out');
    // Only this site's own Log out button (a same-site form with the session's token) may end a session.
    this.csrf.verify(req);
    res.redirect(303, await this.login.logout(req, res));
  }

  @Public({ breakGlass: true })
  @Get('signed-out')
  signedOut(): string {
    const several = this.login.providers().length > 1;
    return page({
      title: 'Signed out',
      body: html`<h1>You are signed out</h1>
        <p>Your session in this environment has ended.</p>
        <p><a class="button" href="/servicecenter">Sign in to Service Center</a>
        <a class="button secondary" href="/lifetime">Sign in to LifeTime</a></p>
        ${several ? html`<p class="muted"><a href="/auth/login?choose=1&amp;returnTo=%2Fservicecenter">Sign in with another provider</a></p>` : ''}
        <p class="muted">Not you, or need a different account? ${anotherAccountLink('/')}</p>`,
    });
  }

  /** `max_age=0` (with prompt=login) when the user who signed in last in this browser was revoked since. */
  private async freshIfRevoked(req: Request): Promise<{ maxAge?: 0 }> {
    return (await this.freshSignIn.revokedSinceLastSignIn(rawCookie(req, LAST_SIGN_IN_COOKIE))) ? { maxAge: 0 } : {};
  }

  /** The enabled providers whose last check (an admin's Test or the background one) failed. */
  private unavailableProviders(): Set<string> {
    return new Set(this.login.providers().filter((provider) => this.health.lastResult(provider)?.ok === false).map((provider) => provider.id));
  }
}

/** Only `prompt=login` is passed on; anything else is ignored. */
function loginPrompt(prompt: unknown): { prompt?: 'login' } {
  return prompt === 'login' ? { prompt: 'login' } : {};
}

function readCookie(req: Request, name: string): string | undefined {
  const value = rawCookie(req, name);
  return value !== undefined && /^[a-z0-9-]{1,40}$/.test(value) ? value : undefined;
}

function rawCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
