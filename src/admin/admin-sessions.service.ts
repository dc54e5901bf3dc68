import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { SessionService } from '../auth/session/session.service.js';
import { DomainException } from '../common/domain.exception.js';
import { DesktopTokensService } from '../desktop-tokens/desktop-tokens.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { UserSessionsDto } from './dto/sessions.dto.js';

/** What an admin sees of a user's sign-ins, and ends: console sessions and desktop tokens. */
@Injectable()
export class AdminSessionsService {
  private readonly logger = new Logger(AdminSessionsService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly desktopTokens: DesktopTokensService,
    private readonly audit: AuditService,
  ) {}

  async list(userId: string): Promise<UserSessionsDto> {
    await this.users.get(userId);
    const [sessions, tokens] = await Promise.all([this.sessions.listForUser(userId), this.desktopTokens.listForUser(userId)]);
    return {
      consoleSessions: sessions.map((s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        providerId: s.providerId,
        breakGlass: s.breakGlass,
      })),
      desktopTokens: tokens.map((t) => ({
        id: t.id,
        client: t.client,
        createdAt: t.createdAt.toISOString(),
        lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
        expiresAt: t.expiresAt.toISOString(),
      })),
    };
  }

  async endAll(userId: string, actor: User): Promise<void> {
    const user = await this.users.get(userId);
    // Noted first: a sign-in finishing meanwhile already needs a fresh authentication.
    await this.users.markSessionsRevoked(userId);
    const sessions = await this.sessions.endAllForUser(userId);
    const tokens = await this.desktopTokens.revokeAllForUser(userId);
    this.logger.log(`all sessions of user ${userId} ended by ${actor.id}: ${sessions} session(s), ${tokens} desktop token(s)`);
    await this.audit.record({ type: 'admin.session.revoked', actorId: actor.id, userId, email: user.email, details: { scope: 'all', sessions, desktopTokens: tokens } });
  }

  /** Ends one console session; with `ownerId` (a user's page), only if it is that user's. */
  async endSession(id: string, actor: User, ownerId?: string): Promise<void> {
    const ended = await this.sessions.endById(id, ownerId);
    if (!ended) throw new DomainException('session_not_found', HttpStatus.NOT_FOUND, `No session with id ${id}`);
    // The provider's own session would sign the person straight back in: the next sign-in must be a fresh one.
    if (ended.userId) await this.users.markSessionsRevoked(ended.userId);
    await this.audit.record({ type: 'admin.session.revoked', actorId: actor.id, userId: ended.userId ?? undefined, details: { scope: 'console-session', sessionId: id } });
  }

  /** Revokes one desktop token; with `ownerId` (a user's page), only if it is that user's. */
  async revokeDesktopToken(id: string, actor: User, ownerId?: string): Promise<void> {
    if (ownerId && !(await this.desktopTokens.listForUser(ownerId)).some((token) => token.id === id)) {
      throw new DomainException('desktop_token_not_found', HttpStatus.NOT_FOUND, `No desktop token with id ${id}`);
    }
    const revoked = await this.desktopTokens.revokeById(id);
    if (!revoked) throw new DomainException('desktop_token_not_found', HttpStatus.NOT_FOUND, `No desktop token with id ${id}`);
    await this.audit.record({ type: 'admin.session.revoked', actorId: actor.id, userId: revoked.userId, details: { scope: 'desktop-token', desktopTokenId: id } });
  }
}
