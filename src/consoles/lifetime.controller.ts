import { Body, Controller, Get, HttpStatus, Logger, NotFoundException, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RoleSyncService } from '../access/role-sync.service.js';
import { AdminSessionsService } from '../admin/admin-sessions.service.js';
import { AdminUsersService } from '../admin/admin-users.service.js';
import { CsrfService } from '../auth/csrf.service.js';
import { SessionService } from '../auth/session/session.service.js';
import { LifeTimePage } from '../auth/decorators.js';
import { DomainException } from '../common/domain.exception.js';
import { html } from '../common/html.js';
import { ROLES, type Role } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { lifetimePage, setFlash } from './console-layout.js';
import { confirmPage, userListBody, userPageBody } from './lifetime-views.js';
import { DEFAULT_USER_LIST, readUserListQuery, type UserListQuery } from './user-list-query.js';

const uuid = new ParseUUIDPipe({ version: '4' });
type Form = Record<string, unknown>;

/**
 * LifeTime: server-rendered pages for admins (a break-glass session included). Every change goes
 * through the same services as the admin API, carries the session's CSRF token, asks for a
 * confirmation when it takes something away, and leaves a flash message for the next page.
 */
@ApiExcludeController()
@LifeTimePage()
@Controller('lifetime')
export class LifeTimeController {
  private readonly logger = new Logger(LifeTimeController.name);

  constructor(
    private readonly users: UsersService,
    private readonly admin: AdminUsersService,
    private readonly adminSessions: AdminSessionsService,
    private readonly sessions: SessionService,
    private readonly csrf: CsrfService,
    private readonly roles: RoleSyncService,
  ) {}

  @Get()
  overview(@Req() req: Request): string {
    const user = req.principal!.user;
    return lifetimePage(req, {
      title: 'Overview',
      section: '/lifetime',
      csrfToken: this.csrf.token(req),
      body: html`<h1>LifeTime</h1>
        <p>Manage the infrastructure, teams and application lifecycle of this environment.</p>
        <dl>
          <dt>Signed in as</dt><dd id="signed-in-user">${user.displayName}</dd>
          <dt>Email</dt><dd>${user.email}</dd>
          <dt>Roles</dt><dd>${user.roles.join(', ')}</dd>
        </dl>
        <p><a class="button" href="/lifetime/authentication">Authentication</a> <a class="button" href="/lifetime/users">Users</a> <a class="button" href="/lifetime/audit">Audit</a></p>`,
    });
  }

  @Get('users')
  async list(@Query() query: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const read = readUserListQuery(query);
    if (!read.ok) this.logger.warn(`users page refused its query: ${read.problems.join('; ')}`);
    const status = read.ok ? HttpStatus.OK : HttpStatus.BAD_REQUEST;
    res.status(status).type('html').send(await this.renderList(req, read.value, { problems: read.ok ? undefined : read.problems }));
  }

  @Post('users')
  async create(@Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const roles = ROLES.filter((role) => body[`role_${role}`] === 'on');
    try {
      const user = await this.admin.create({ email: text(body.email), displayName: text(body.displayName) || undefined, roles }, req.principal!.user);
      await setFlash(req, 'success', `Added ${user.email}.`);
      res.redirect(303, `/lifetime/users/${user.id}`);
    } catch (error) {
      const refusal = asRefusal(error);
      res.status(refusal.status).type('html').send(await this.renderList(req, DEFAULT_USER_LIST, { refusal: refusal.message }));
    }
  }

  @Get('users/:id')
  async show(@Param('id', uuid) id: string, @Req() req: Request): Promise<string> {
    return this.renderUser(req, id);
  }

  @Post('users/:id/roles')
  async changeRoles(@Param('id', uuid) id: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const roles: Role[] = ROLES.filter((role) => body[`role_${role}`] === 'on');
    await this.act(req, res, id, async () => {
      const user = await this.admin.update(id, { roles }, req.principal!.user);
      return `Roles of ${user.email}: ${user.roles.join(', ') || 'none'}.`;
    });
  }

  @Post('users/:id/deactivate')
  async deactivate(@Param('id', uuid) id: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const user = await this.users.get(id);
    if (body.confirm !== 'yes') return this.confirm(req, res, { action: `/lifetime/users/${id}/deactivate`, question: `Deactivate ${user.email}? Their console sessions end and their desktop tokens are revoked at once. If they are made active again, they must sign in afresh at the identity provider: its own session no longer lets them in.`, button: 'Deactivate', back: `/lifetime/users/${id}` });
    await this.act(req, res, id, async () => {
      await this.admin.deactivate(id, req.principal!.user);
      return `Deactivated ${user.email}; their sessions and desktop tokens have ended.`;
    });
  }

  @Post('users/:id/reactivate')
  async reactivate(@Param('id', uuid) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    await this.act(req, res, id, async () => {
      const user = await this.admin.update(id, { active: true }, req.principal!.user);
      return `Reactivated ${user.email}.`;
    });
  }

  @Post('users/:id/identities/:identityId/unlink')
  async unlinkIdentity(@Param('id', uuid) id: string, @Param('identityId', uuid) identityId: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    const user = await this.users.get(id);
    const identity = (await this.users.identitiesOf(id)).find((candidate) => candidate.id === identityId);
    if (identity && body.confirm !== 'yes') {
      return this.confirm(req, res, {
        action: `/lifetime/users/${id}/identities/${identityId}/unlink`,
        question: `Unlink ${user.email}'s sign-in through ${identity.providerId} (subject ${identity.subject})? Their sessions go on; the next sign-in through ${identity.providerId} must pass the linking rules again.`,
        button: 'Unlink',
        back: `/lifetime/users/${id}`,
      });
    }
    await this.act(req, res, id, async () => {
      await this.admin.unlinkIdentity(id, identityId, req.principal!.user);
      return `Unlinked the sign-in through ${identity?.providerId ?? 'that provider'}.`;
    });
  }

  @Post('users/:id/sessions/:sessionId/revoke')
  async revokeSession(@Param('id', uuid) id: string, @Param('sessionId', uuid) sessionId: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    if (body.confirm !== 'yes') {
      const user = await this.users.get(id);
      return this.confirm(req, res, {
        action: `/lifetime/users/${id}/sessions/${sessionId}/revoke`,
        question: `Revoke this console session? Whoever uses it is signed out at once, and the next sign-in of ${user.email} must be a fresh one: the identity provider asks for their credentials again, even where they are still signed in there.`,
        button: 'Revoke session',
        back: `/lifetime/users/${id}`,
      });
    }
    await this.act(req, res, id, async () => {
      await this.adminSessions.endSession(sessionId, req.principal!.user, id);
      return 'Console session revoked.';
    });
  }

  @Post('users/:id/desktop-tokens/:tokenId/revoke')
  async revokeDesktopToken(@Param('id', uuid) id: string, @Param('tokenId', uuid) tokenId: string, @Body() body: Form, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.csrf.verify(req);
    if (body.confirm !== 'yes') return this.confirm(req, res, { action: `/lifetime/users/${id}/desktop-tokens/${tokenId}/revoke`, question: 'Revoke this desktop token? The Studio that holds it must sign in again.', button: 'Revoke token', back: `/lifetime/users/${id}` });
    await this.act(req, res, id, async () => {
      await this.adminSessions.revokeDesktopToken(tokenId, req.principal!.user, id);
      return 'Desktop token revoked.';
    });
  }

  @Get('*rest')
  notFound(): never {
    throw new NotFoundException('There is no such LifeTime page.');
  }

  /** Runs a change; success flashes and redirects to the user's page, a refusal shows that page again with its status and reason. */
  private async act(req: Request, res: Response, id: string, change: () => Promise<string>): Promise<void> {
    try {
      await setFlash(req, 'success', await change());
      res.redirect(303, `/lifetime/users/${id}`);
    } catch (error) {
      const refusal = asRefusal(error);
      await setFlash(req, 'error', refusal.message);
      res.status(refusal.status).type('html').send(await this.renderUser(req, id));
    }
  }

  /**
   * One page of users through the users service the admin API lists with. A page past the last
   * shows the last one: the count it needs comes with the page, so at most one more query.
   */
  private async renderList(req: Request, query: UserListQuery, notes: { problems?: string[]; refusal?: string } = {}): Promise<string> {
    const ask = (page: number) => this.users.page({ search: query.search, sort: query.sort, order: query.order, offset: (page - 1) * query.size, limit: query.size });
    let found = await ask(query.page);
    const lastPage = Math.max(1, Math.ceil(found.total / query.size));
    if (query.page > lastPage) {
      query = { ...query, page: lastPage };
      found = await ask(lastPage);
    }
    const csrfToken = this.csrf.token(req);
    const body = userListBody({ users: found.users, total: found.total, query, csrfToken, problems: notes.problems });
    return lifetimePage(req, { title: 'Users', section: '/lifetime/users', csrfToken, body: notes.refusal ? html`<div class="flash error" role="alert" id="flash">${notes.refusal}</div>${body}` : body });
  }

  private async renderUser(req: Request, id: string): Promise<string> {
    const user = await this.users.get(id);
    const self = req.principal!.user.id === id;
    const [identities, access, owner, currentSessionId] = await Promise.all([
      this.users.identitiesOf(id),
      this.adminSessions.list(id),
      this.roles.rolesOwner(id),
      self ? this.sessions.publicIdOf(req) : undefined,
    ]);
    const csrfToken = this.csrf.token(req);
    const rolesFrom = owner && { id: owner.id, displayName: owner.displayName };
    return lifetimePage(req, { title: user.email, section: '/lifetime/users', csrfToken, body: userPageBody({ user, identities, access, csrfToken, self, rolesFrom, currentSessionId }) });
  }

  private confirm(req: Request, res: Response, question: { action: string; question: string; button: string; back: string }): void {
    res.status(HttpStatus.OK).type('html').send(lifetimePage(req, { title: 'Confirm', section: '/lifetime/users', csrfToken: this.csrf.token(req), body: confirmPage({ ...question, csrfToken: this.csrf.token(req) }) }));
  }

}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** A refusal the person can act on (4xx) is shown on the page; anything else is the filter's business. */
function asRefusal(error: unknown): { status: number; message: string } {
  if (error instanceof DomainException && error.status < HttpStatus.INTERNAL_SERVER_ERROR) return { status: error.status, message: error.message };
  throw error;
}
