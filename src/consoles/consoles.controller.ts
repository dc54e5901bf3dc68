import { Controller, Get, Header, HttpStatus, NotFoundException, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { CsrfService } from '../auth/csrf.service.js';
import { BrowserSession, Public } from '../auth/decorators.js';
import { SessionService } from '../auth/session/session.service.js';
import { switchAccountForm } from '../auth/switch-account.js';
import { DomainException } from '../common/domain.exception.js';
import { FAVICON_PATH, html, page, type Html } from '../common/html.js';
import type { User } from '../users/user.entity.js';
import { FAVICON_SVG } from './assets/favicon.js';
import { csrfField, signedInAs } from './console-layout.js';
import { CONSOLE_ROUTES, CONSOLES, consoleForPath, type ConsoleDefinition } from './consoles.js';

@ApiExcludeController()
@Controller()
export class ConsolesController {
  constructor(
    private readonly sessions: SessionService,
    private readonly csrf: CsrfService,
  ) {}

  /**
   * The start page; with a session it says who is signed in and offers Log out. It links the
   * consoles this person may open: a console that needs a role is listed only to those who have it.
   */
  @Public()
  @Get()
  async home(@Req() req: Request): Promise<string> {
    const user = await this.sessions.currentUser(req);
    const consoles = CONSOLES.filter((c) => !c.role || user?.roles.includes(c.role));
    return page({
      title: 'Identity front door',
      body: html`<h1>Management consoles</h1>
        ${user
          ? html`<p id="signed-in-as">Signed in as <strong>${user.displayName}</strong> (${user.email}).</p>
              <form method="post" action="/auth/logout">${csrfField(this.csrf.token(req))}<button type="submit" class="secondary">Log out</button></form>`
          : html`<p><a class="button" id="sign-in" href="/auth/login?returnTo=%2F">Sign in</a> <span class="muted">with your company account; administrators then find LifeTime here too.</span></p>`}
        <ul id="consoles">${consoles.map((c) => html`<li><a href="/${c.path}">${c.title}</a> – ${c.description}</li>`)}</ul>
        <p class="muted">Administrators: the API is described at <a href="/api/docs">/api/docs</a>.</p>`,
    });
  }

  @Public()
  @Get(FAVICON_PATH)
  @Header('Content-Type', 'image/svg+xml')
  @Header('Cache-Control', 'public, max-age=86400')
  favicon(): string {
    return FAVICON_SVG;
  }

  @BrowserSession()
  @Get(CONSOLE_ROUTES)
  show(@Req() req: Request): string {
    const definition = consoleForPath(req.path);
    if (!definition) throw new NotFoundException();
    const user = req.principal!.user;
    if (definition.role && !user.roles.includes(definition.role)) {
      throw new DomainException('forbidden', HttpStatus.FORBIDDEN, `${definition.title} needs the ${definition.role} role, which ${user.email} does not have.`, {
        title: `You cannot open ${definition.title}`,
        detail: 'Ask a platform administrator for access, or sign out and use another account.',
        actions: switchAccountForm(this.csrf.token(req), req.originalUrl),
      });
    }
    return page({
      title: definition.title,
      header: signedInAs(user, this.csrf.token(req)),
      body: html`<h1>${definition.title}</h1>
        <p>${definition.description}</p>
        <dl>
          <dt>Signed in as</dt><dd id="signed-in-user">${user.displayName}</dd>
          <dt>Email</dt><dd>${user.email}</dd>
          <dt>Roles</dt><dd>${user.roles.join(', ') || 'none'}</dd>
          <dt>Page</dt><dd><code>${req.originalUrl}</code></dd>
        </dl>
        ${otherConsoles(definition, user)}`,
    });
  }
}

/** Links to the other consoles this user may open. */
function otherConsoles(current: ConsoleDefinition, user: User): Html | '' {
  const others = CONSOLES.filter((c) => c !== current && (!c.role || user.roles.includes(c.role)));
  return others.length ? html`<p class="muted">Other consoles: ${others.map((c) => html`<a href="/${c.path}">${c.title}</a> `)}</p>` : '';
}
