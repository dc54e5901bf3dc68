import { Controller, Get, Header, HttpCode, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CsrfService, CSRF_FIELD } from '../auth/csrf.service.js';
import { BrowserSession } from '../auth/decorators.js';
import { html, page } from '../common/html.js';
import { DeviceAuthorizationService } from './device-authorization.service.js';
import { TooManyGuessesException, type Guesser } from './user-code-guess.limiter.js';

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
  constructor(
    private readonly devices: DeviceAuthorizationService,
    private readonly csrf: CsrfService,
  ) {}

  @BrowserSession()
  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', PAGE_POLICY)
  async show(@Query('user_code') userCode: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (userCode === undefined || userCode === '') return enterCodePage();
    const pending = await withRetryAfter(res, this.devices.lookup(userCode, guesser(req)));
    const user = req.principal!.user;
    const hidden = html`<input type="hidden" name="user_code" value="${pending.userCode}"><input type="hidden" name="${CSRF_FIELD}" value="${this.csrf.token(req)}">`;
    return page({
      title: 'Allow this device?',
      body: html`<h1>Allow this device to sign in as you?</h1>
        <dl id="device-request">
          <dt>Application</dt><dd id="device-client">${pending.clientTitle}</dd>
          <dt>Code</dt><dd><code>${pending.userCode}</code></dd>
          <dt>Requested from</dt><dd id="device-address">${pending.requesterIp || 'unknown address'}</dd>
          <dt>Requested at</dt><dd id="device-time">${pending.requestedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC</dd>
          <dt>Signed in as</dt><dd>${user.displayName} (${user.email})</dd>
        </dl>
        <p>Allow only if you started this sign-in yourself and the code matches the one your device shows.</p>
        <form class="inline" method="post" action="/device/allow">${hidden}<button type="submit" id="allow">Allow</button></form>
        <form class="inline" method="post" action="/device/deny">${hidden}<button type="submit" id="deny" class="secondary">Deny</button></form>`,
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
    const { clientTitle } = await withRetryAfter(
      res,
      this.devices.decide({ rawUserCode: body?.user_code, allow, user: req.principal!.user, providerId: req.session?.providerId, guesser: guesser(req) }),
    );
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

function enterCodePage(): string {
  return page({
    title: 'Connect a device',
    body: html`<h1>Connect a device</h1>
      <p>Type the code your device or command-line tool shows.</p>
      <form method="get" action="/device">
        <p><input name="user_code" id="user-code" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="XXXX-XXXX" maxlength="12" required>
        <button type="submit">Continue</button></p>
      </form>`,
  });
}
