import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BrowserSession } from '../auth/decorators.js';
import { DomainException } from '../common/domain.exception.js';
import { html, page } from '../common/html.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DesktopHandoffService } from './desktop-handoff.service.js';

/** Tries the Studio once by itself; the button stays for browsers that block or ignore it. */
const AUTO_LAUNCH = `(function () {
  var link = document.getElementById('open-studio');
  if (link) setTimeout(function () { window.location.href = link.href; }, 300);
})();`;

/** The browser side of a Studio login: who signs in to which Studio, and the "Open … Studio" button. */
@ApiExcludeController()
@Controller('desktop/handoff')
export class HandoffPageController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly handoffs: DesktopHandoffService,
  ) {}

  @BrowserSession()
  @Get(':id')
  async show(@Param('id') id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    const user = req.principal!.user;
    const { ticket, studio, openUrl, codeExpiresAt } = await this.handoffs.openInBrowser({ id, user, requestId: req.id, providerId: req.session?.providerId });
    const nonce = randomBytes(16).toString('base64');
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
    // The page holds a one-time code: never from a cache, never in the history's stored copy.
    res.setHeader('Cache-Control', 'no-store');
    const minutes = Math.max(1, Math.round((codeExpiresAt.getTime() - Date.now()) / 60_000));
    return page({
      title: `Open ${studio.title}`,
      body: html`<h1>Open ${studio.title}</h1>
        <p id="signing-in">Signing in to ${studio.title} as ${user.displayName} (${user.email}) on environment <strong>${this.config.environmentName}</strong>.</p>
        <p><a id="open-studio" class="button" href="${openUrl}">Open ${studio.title}</a></p>
        <p>If your browser shows no prompt, click <strong>Open ${studio.title}</strong>.
          Once ${studio.title} shows that you are logged in, you can close this page.</p>
        <p class="muted">The button works once, within ${minutes} minute${minutes === 1 ? '' : 's'}; reload this page for a new one.
          Not you, or not started by you?</p>
        <form class="inline" method="post" action="/desktop/handoff/${ticket.id}/cancel"><button type="submit" class="secondary">Cancel</button></form>`,
      script: AUTO_LAUNCH,
      scriptNonce: nonce,
    });
  }

  @BrowserSession()
  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  async cancel(@Param('id') id: string, @Req() req: Request): Promise<string> {
    // A session cookie may change a handoff only from this service's own page.
    if (req.header('origin') !== this.config.publicUrl.origin) {
      throw new DomainException('cross_origin', HttpStatus.FORBIDDEN, 'A sign-in can only be cancelled from its own page.', { title: 'Not cancelled' });
    }
    const studio = await this.handoffs.cancel({ id, user: req.principal!.user, requestId: req.id });
    return page({
      title: 'Cancelled',
      body: html`<h1>Cancelled</h1>
        <p>The sign-in to ${studio.title} was cancelled; ${studio.title} stops waiting for it.</p>
        <p class="muted">You can close this page.</p>`,
    });
  }
}
