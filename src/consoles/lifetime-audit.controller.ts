import { Controller, Get, HttpStatus, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuditTrailService, type AuditEventView } from '../audit/audit-trail.service.js';
import { CsrfService } from '../auth/csrf.service.js';
import { LifeTimePage } from '../auth/decorators.js';
import { DomainException } from '../common/domain.exception.js';
import { UsersService } from '../users/users.service.js';
import { lifetimePage } from './console-layout.js';
import { auditBody, type AuditFilters } from './lifetime-audit-views.js';

/** A date and time typed on the page, read as UTC: `2026-11-28`, `2026-11-28 08:00` or full ISO 8601. */
const PAGE_TIME = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/;

/**
 * LifeTime › Audit: the audit trail, newest first, filtered by type, user, actor and time and paged with
 * the trail's cursor. It reads through AuditTrailService, as `GET /api/admin/audit` does.
 */
@ApiExcludeController()
@LifeTimePage()
@Controller('lifetime/audit')
export class LifeTimeAuditController {
  constructor(
    private readonly trail: AuditTrailService,
    private readonly users: UsersService,
    private readonly csrf: CsrfService,
  ) {}

  @Get()
  async list(@Query() query: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const filters: AuditFilters = { type: text(query.type), user: text(query.user), actor: text(query.actor), since: text(query.since), until: text(query.until), limit: text(query.limit) };
    let page: { events: AuditEventView[]; nextCursor: string | null } = { events: [], nextCursor: null };
    let error: string | undefined;
    try {
      const userId = await this.userId(filters.user);
      page = await this.trail.list({ type: filters.type, userId, actor: filters.actor || undefined, since: asUtc(filters.since), until: asUtc(filters.until), limit: filters.limit || undefined, cursor: text(query.cursor) || undefined });
    } catch (refusal) {
      if (!(refusal instanceof DomainException) || refusal.status >= HttpStatus.INTERNAL_SERVER_ERROR) throw refusal;
      error = refusal.message;
    }
    const csrfToken = this.csrf.token(req);
    res
      .status(error ? HttpStatus.BAD_REQUEST : HttpStatus.OK)
      .type('html')
      .send(lifetimePage(req, { title: 'Audit', section: '/lifetime/audit', csrfToken, body: auditBody({ filters, ...page, emails: await this.emailsOf(page.events), error }) }));
  }

  /** The emails of the users events name by id only (a single session revoked, say), so the page never shows a bare id. */
  private async emailsOf(events: AuditEventView[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const event of events) {
      if (event.userId && !event.email) ids.add(event.userId);
      if (event.actorId && !event.actorEmail) ids.add(event.actorId);
    }
    return new Map((await this.users.findByIds([...ids])).map((user) => [user.id, user.email]));
  }

  /** The user filter takes an email (looked up) or a user id as it is. */
  private async userId(user: string): Promise<string | undefined> {
    if (!user) return undefined;
    if (!user.includes('@')) return user;
    const found = await this.users.findByEmail(user);
    if (!found) throw new DomainException('invalid_query', HttpStatus.BAD_REQUEST, `No user has the email ${user}.`);
    return found.id;
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function asUtc(value: string): string | undefined {
  if (!value) return undefined;
  return PAGE_TIME.test(value) && value.length > 10 ? `${value.replace(' ', 'T')}Z` : value;
}
