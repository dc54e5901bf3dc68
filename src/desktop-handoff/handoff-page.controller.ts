import { Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CSRF_FIELD, CsrfService } from '../auth/csrf.service.js';
import { BrowserSession } from '../auth/decorators.js';
import { html, page } from '../common/html.js';
import { allowOnPage } from '../common/security-headers.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DesktopHandoffService } from './desktop-handoff.service.js';
import type { HandoffTicket } from './handoff-ticket.entity.js';
import type { StudioDefinition } from './studio-clients.js';

/**
 * With JavaScript, a click first checks that the Studio listens on its loopback port (a request
 * that carries nothing); only then is the form posted, the code minted and the browser sent on.
 * A closed port leaves the person here, with the button and a sentence. A custom scheme cannot be
 * checked: the form is posted as is. Without JavaScript both buttons are plain forms.
 */
const OPEN_SCRIPT = `(function () {
  var form = document.getElementById('open-form');
  var note = document.getElementById('studio-not-listening');
  var probe = form && form.getAttribute('data-probe');
  if (!form || !probe) return;
  form.addEventListener('submit', function (event) {
    if (form.getAttribute('data-checked') === 'yes') return;
    event.preventDefault();
    note.hidden = true;
    fetch(probe, { mode: 'no-cors', cache: 'no-store' }).then(function () {
      form.setAttribute('data-checked', 'yes');
      form.submit();
    }, function () {
      note.hidden = false;
    });
  });
})();`;

/** The browser side of a Studio login: who signs in to which Studio, the "Open … Studio" button, and Cancel. */
@ApiExcludeController()
@Controller('desktop/handoff')
export class HandoffPageController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly handoffs: DesktopHandoffService,
    private readonly csrf: CsrfService,
  ) {}

  @BrowserSession()
  @Get(':id')
  async show(@Param('id') id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    const user = req.principal!.user;
    const { ticket, studio } = await this.handoffs.showInBrowser({ id, user });
    const loopback = loopbackOrigin(ticket.redirectUri);
    const nonce = res.locals.cspNonce ?? '';
    // The form's answer redirects to the Studio (loopback or custom scheme): form-action must allow
    // it. The script checks the loopback port before the click posts.
    allowOnPage(res, { formTarget: formTarget(ticket.redirectUri), connectTo: loopback });
    const token = this.csrf.token(req);
    return page({
      title: `Open ${studio.title}`,
      body: html`<h1>Open ${studio.title}</h1>
        <p id="signing-in">Signing in to ${studio.title} as ${user.displayName} (${user.email}) on environment <strong>${this.config.environmentName}</strong>.</p>
        <form id="open-form" method="post" action="/desktop/handoff/${ticket.id}/open" ${loopback ? html`data-probe="${loopback}/"` : ''}>
          <input type="hidden" name="${CSRF_FIELD}" value="${token}">
          <button id="open-studio" type="submit">Open ${studio.title}</button>
        </form>
        <p id="studio-not-listening" class="error" hidden>${studio.title} is not listening on this computer any more. Start the login again from ${studio.title}, or keep it open and click <strong>Open ${studio.title}</strong> again.</p>
        <p>Once ${studio.title} shows that you are logged in, you can close this page.</p>
        <p class="muted">Not you, or not started by you?</p>
        <form class="inline" method="post" action="/desktop/handoff/${ticket.id}/cancel">
          <input type="hidden" name="${CSRF_FIELD}" value="${token}">
          <button id="cancel" type="submit" class="secondary">Cancel</button>
        </form>`,
      script: loopback ? OPEN_SCRIPT : undefined,
      scriptNonce: nonce,
    });
  }

  /** The click: mints the one-time code and sends the browser to the Studio's redirect URI. */
  @BrowserSession()
  @Post(':id/open')
  async open(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const { openUrl } = await this.handoffs.openInBrowser({ id, user: req.principal!.user, requestId: req.id, providerId: req.session?.providerId });
    res.redirect(303, openUrl);
  }

  @BrowserSession()
  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  async cancel(@Param('id') id: string, @Req() req: Request): Promise<string> {
    // The session's CSRF token, not the Origin header: under no-referrer Chromium sends `Origin: null`.
    this.csrf.verify(req);
    const studio = await this.handoffs.cancel({ id, user: req.principal!.user, requestId: req.id });
    return cancelledPage(studio);
  }
}

function cancelledPage(studio: StudioDefinition): string {
  return page({
    title: 'Cancelled',
    body: html`<h1>Cancelled</h1>
      <p id="cancelled">The sign-in to ${studio.title} was cancelled; ${studio.title} stops waiting for it.</p>
      <p class="muted">You can close this page.</p>`,
  });
}

/** `http://127.0.0.1:<port>` of a loopback redirect URI, or undefined for a custom scheme. */
function loopbackOrigin(redirectUri: HandoffTicket['redirectUri']): string | undefined {
  const url = new URL(redirectUri);
  return url.protocol === 'http:' ? url.origin : undefined;
}

function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'http:' ? url.origin : url.protocol;
}
