import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { SessionService } from '../auth/session/session.service.js';
import { DesktopTokensService } from '../desktop-tokens/desktop-tokens.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { CreateUserDto, UpdateUserDto } from './dto/user.dto.js';

/** User administration: the users module's rules plus what ends with a user's access. */
@Injectable()
export class AdminUsersService {
  private readonly logger = new Logger(AdminUsersService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly desktopTokens: DesktopTokensService,
    private readonly audit: AuditService,
  ) {}

  async create(input: CreateUserDto, actor: User): Promise<User> {
    const user = await this.users.create(input);
    await this.audit.record({ type: 'admin.user.created', actorId: actor.id, userId: user.id, email: user.email, details: { roles: user.roles } });
    return user;
  }

  async update(id: string, changes: UpdateUserDto, actor: User): Promise<User> {
    const user = await this.users.update(id, changes);
    if (changes.active === false) await this.endAccess(user, actor);
    else await this.audit.record({ type: 'admin.user.updated', actorId: actor.id, userId: user.id, email: user.email, details: { changed: Object.keys(changes), roles: user.roles, active: user.active } });
    return user;
  }

  async deactivate(id: string, actor: User): Promise<User> {
    const user = await this.users.update(id, { active: false });
    await this.endAccess(user, actor);
    return user;
  }

  private async endAccess(user: User, actor: User): Promise<void> {
    const ended = await this.sessions.endAllForUser(user.id);
    // Revoked, not merely refused while inactive: reactivating the user must not revive old Studio tokens.
    const revoked = await this.desktopTokens.revokeAllForUser(user.id);
    this.logger.log(`user ${user.id} deactivated by ${actor.id}; ${ended} session(s) ended, ${revoked} desktop token(s) revoked`);
    await this.audit.record({ type: 'admin.user.deactivated', actorId: actor.id, userId: user.id, email: user.email, details: { sessions: ended, desktopTokens: revoked } });
  }
}
