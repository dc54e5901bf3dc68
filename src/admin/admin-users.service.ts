import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { SessionService } from '../auth/session/session.service.js';
import { DesktopTokensService } from '../desktop-tokens/desktop-tokens.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService, type NewUser, type UserChanges } from '../users/users.service.js';

/**
 * User administration: the users module's rules plus what ends with a user's access, and the
 * audit trail of each change. The admin API and LifeTime's pages both go through here; a user's
 * sessions and tokens are AdminSessionsService's.
 */
@Injectable()
export class AdminUsersService {
  private readonly logger = new Logger(AdminUsersService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly desktopTokens: DesktopTokensService,
    private readonly audit: AuditService,
  ) {}

  async create(input: NewUser, actor: User): Promise<User> {
    const user = await this.users.create(input);
    await this.audit.record({ type: 'admin.user.created', actorId: actor.id, userId: user.id, email: user.email, details: { roles: user.roles } });
    return user;
  }

  async update(id: string, changes: UserChanges, actor: User): Promise<User> {
    const user = await this.users.update(id, changes);
    if (changes.active === false) await this.recordDeactivation(user, actor);
    else await this.audit.record({ type: 'admin.user.updated', actorId: actor.id, userId: user.id, email: user.email, details: describeChanges(changes) });
    return user;
  }

  deactivate(id: string, actor: User): Promise<User> {
    return this.update(id, { active: false }, actor);
  }

  /**
   * What deactivating a user ends, once the user row says inactive: every console session and
   * desktop or device token, on every instance (the database announces each), before this returns.
   * The one path for every deactivation: an admin's here, a directory's through SCIM.
   */
  async endAccess(userId: string): Promise<{ sessions: number; desktopTokens: number }> {
    const sessions = await this.sessions.endAllForUser(userId);
    // Revoked, not merely refused while inactive: reactivating the user must not revive old Studio tokens.
    const desktopTokens = await this.desktopTokens.revokeAllForUser(userId);
    return { sessions, desktopTokens };
  }

  private async recordDeactivation(user: User, actor: User): Promise<void> {
    const { sessions, desktopTokens } = await this.endAccess(user.id);
    this.logger.log(`user ${user.id} deactivated by ${actor.id}; ${sessions} session(s) ended, ${desktopTokens} desktop token(s) revoked`);
    await this.audit.record({ type: 'admin.user.deactivated', actorId: actor.id, actorEmail: actor.email, userId: user.id, email: user.email, details: { sessions, desktopTokens } });
  }
}

function describeChanges(changes: UserChanges): Record<string, string | boolean | string[]> {
  const details: Record<string, string | boolean | string[]> = { changed: Object.keys(changes) };
  if (changes.displayName !== undefined) details.displayName = changes.displayName;
  if (changes.roles !== undefined) details.roles = changes.roles;
  if (changes.active !== undefined) details.active = changes.active;
  return details;
}
