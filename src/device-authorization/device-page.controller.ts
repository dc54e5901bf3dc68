import { Controller, Get, Header, HttpCode, HttpStatus, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CsrfService, CSRF_FIELD } from '../auth/csrf.service.js';
import { BrowserSession } from '../auth/decorators.js';
import { switchAccountForm } from '../auth/switch-account.js';
import { DomainException } from '../common/domain.exception.js';
import { errorReference } from '../common/exception.filter.js';
import { html, page, type Html } from '../common/html.js';
import type { User } from '../users/user.entity.js';
import { DeviceAuthorizationService } from './device-authorization.service.js';
import { TooManyGuessesException, type Guesser } from './user-code-guess.limiter.js';

/** A code that leads nowhere: the code box again, with the reason, rather than a dead-end page. */
const RETYPABLE = new Set(['device_code_unknown', 'device_code_expired', 'device_code_used']);

/** No script on these pages; forms may only post back here, and no other site may frame them (clickjacking on Allow). */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * `/device`: the person signs in (single sign-on from a console session, else the identity
 * provider), types the code their device shows, sees who asked, and allows or denies. Nothing is
 * decided by a GET; both buttons are same-origin POSTs carrying the session's CSRF token.
 */
@ApiExcludeController()
@Controller('device')
export class DevicePageController {
  private readonly logger = new Logger(DevicePageController.name);

  constructor(
    private readonly devices: DeviceAuthorizationService,
    private readonly csrf: CsrfService,
  ) {}

  @BrowserSession()
  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', PAGE_POLICY)
  async show(@Query('user_code') userCode: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    const user = req.principal!.user;
    if (userCode === undefined || userCode === '') return enterCodePage({ signedIn: this.signedIn(req, '/device') });
    const pending = await this.retypable(req, res, this.devices.lookup(userCode, guesser(req)), userCode);
    if (typeof pending === 'string') return pending;
    const hidden = html`<input type="hidden" name="user_code" value="${pending.userCode}"><input type="hidden" name="${CSRF_FIELD}" value="${this.csrf.token(req)}">`;
    return page({
      title: 'Allow this device?',
      body: html`<h1>Allow this device to sign in as you?</h1>
        <dl id="device-request">
          <dt>Application</dt><dd id="device-client">${pending.clientTitle}</dd>
          <dt>Code</dt><dd><code>${pending.userCode}</code></dd>
          <dt>Requested from</dt><dd id="device-address">${pending.requesterIp || 'unknown address'}</dd>
          <dt>Requested at</dt><dd id="device-time">${pending.requestedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC</dd>
          <dt>Signed in as</dt><dd id="device-user">${user.displayName} (${user.email})</dd>
        </dl>
        <p>Allow only if you started this sign-in yourself and the code matches the one your device shows.</p>
        <form class="inline" method="post" action="/device/allow">${hidden}<button type="submit" id="allow">Allow</button></form>
        <form class="inline" method="post" action="/device/deny">${hidden}<button type="submit" id="deny" class="secondary">Deny</button></form>
        ${this.signedIn(req, `/device?user_code=${encodeURIComponent(pending.userCode)}`, { withName: false })}`,
    });
  }

  @BrowserSession()
  @Post('allow')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', PAGE_POLICY)
  allow(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    return this.decide(true, req, res);
  }

  @BrowserSession()
  @Post('deny')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', PAGE_POLICY)
  deny(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    return this.decide(false, req, res);
  }

  private async decide(allow: boolean, req: Request, res: Response): Promise<string> {
    this.csrf.verify(req);
    const body = req.body as Record<string, unknown> | undefined;
    const decided = await this.retypable(
      req,
      res,
      this.devices.decide({ rawUserCode: body?.user_code, allow, user: req.principal!.user, providerId: req.session?.providerId, guesser: guesser(req) }),
      body?.user_code,
    );
    if (typeof decided === 'string') return decided;
    const { clientTitle } = decided;
    return allow
      ? page({
          title: 'Device allowed',
          body: html`<h1>Device allowed</h1>
            <p id="device-result">${clientTitle} is now signed in as you. Go back to your device; you can close this page.</p>`,
        })
      : page({
          title: 'Device denied',
          body: html`<h1>Device denied</h1>
            <p id="device-result">${clientTitle} was not signed in. If you did not start this sign-in, tell your administrator.</p>`,
        });
  }

  /**
   * A code that is unknown, expired or used gives the code box again with the reason (and the
   * refusal's status); anything else (too many guesses) stays the error page.
   */
  private async retypable<T>(req: Request, res: Response, work: Promise<T>, typed: unknown): Promise<T | string> {
    try {
      return await withRetryAfter(res, work);
    } catch (error) {
      if (!(error instanceof DomainException) || !RETYPABLE.has(error.code)) throw error;
      this.logger.warn(`req=${req.id} ${req.method} ${req.path} -> ${error.status} ${error.code}: ${error.message}`);
      res.status(error.status);
      return enterCodePage({ signedIn: this.signedIn(req, '/device'), error: { message: error.message, detail: error.options.detail, code: error.code, requestId: req.id }, typed });
    }
  }

  /** Who is signed in, with **Use another account** (it ends this session and asks the provider again). */
  private signedIn(req: Request, returnTo: string, options: { withName?: boolean } = {}): Html {
    const user: User = req.principal!.user;
    return html`<div class="signed-in" id="device-signed-in">
        ${options.withName === false ? '' : html`<p class="muted">Signed in as <strong>${user.displayName}</strong> (${user.email}).</p>`}
        <p class="muted">Not you?</p>${switchAccountForm(this.csrf.token(req), returnTo)}
      </div>`;
  }
}

function guesser(req: Request): Guesser {
  return { ip: req.ip ?? '', sessionId: req.session.id };
}

/** A person told to wait is told for how long (Retry-After) before the error page renders. */
async function withRetryAfter<T>(res: Response, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof TooManyGuessesException) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    throw error;
  }
}

function enterCodePage(input: { signedIn: Html; error?: { message: string; detail?: string; code: string; requestId: string }; typed?: unknown }): string {
  const { error } = input;
  const typed = error && typeof input.typed === 'string' ? input.typed.slice(0, 12) : '';
  return page({
    title: 'Connect a device',
    body: html`<h1>Connect a device</h1>
      ${error
        ? html`<div class="error" role="alert" id="device-code-error"><p>${error.message}</p>${error.detail ? html`<p class="muted">${error.detail}</p>` : ''}
            ${errorReference(error.code, error.requestId)}</div>`
        : ''}
      <p>Type the code your device or command-line tool shows.</p>
      <form method="get" action="/device">
        <p><input name="user_code" id="user-code" value="${typed}" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="XXXX-XXXX" maxlength="12" required${error ? html` autofocus aria-invalid="true" aria-describedby="device-code-error"` : ''}>
        <button type="submit">Continue</button></p>
      </form>
      ${input.signedIn}`,
  });
}
