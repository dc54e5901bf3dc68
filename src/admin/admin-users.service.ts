import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { RoleSyncService } from '../access/role-sync.service.js';
import { AuditService } from '../audit/audit.service.js';
import { ActiveUsersService } from '../auth/session/active-users.service.js';
import { SessionService } from '../auth/session/session.service.js';
import { DomainException } from '../common/domain.exception.js';
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
    private readonly roles: RoleSyncService,
    private readonly activeUsers: ActiveUsersService,
  ) {}

  async create(input: NewUser, actor: User): Promise<User> {
    const user = await this.users.create(input);
    await this.audit.record({ type: 'admin.user.created', actorId: actor.id, userId: user.id, email: user.email, details: { roles: user.roles } });
    return user;
  }

  async update(id: string, changes: UserChanges, actor: User): Promise<User> {
    if (changes.roles !== undefined) await this.assertRolesEditable(id, changes.roles);
    const user = await this.users.update(id, changes);
    if (changes.roles !== undefined) await this.activeUsers.changed(id);
    if (changes.active === false) await this.recordDeactivation(user, actor);
    else await this.audit.record({ type: 'admin.user.updated', actorId: actor.id, userId: user.id, email: user.email, details: describeChanges(changes) });
    return user;
  }

  /** Removes one linked identity: the next login through that provider starts from the trust rules again. */
  async unlinkIdentity(userId: string, identityId: string, actor: User): Promise<void> {
    const user = await this.users.get(userId);
    const identity = await this.users.unlinkIdentity(userId, identityId);
    if (!identity) throw new DomainException('identity_not_found', HttpStatus.NOT_FOUND, `User ${user.email} has no linked identity with id ${identityId}.`);
    this.logger.log(`identity ${identityId} (${identity.providerId}) of user ${userId} unlinked by ${actor.id}`);
    await this.audit.record({
      type: 'admin.identity.unlinked',
      actorId: actor.id,
      userId,
      email: user.email,
      providerId: identity.providerId,
      details: { identityId, issuer: identity.issuer, subject: identity.subject },
    });
  }

  /** Roles a provider owns are changed at the provider: here they would be overwritten at the next login. */
  private async assertRolesEditable(userId: string, roles: User['roles']): Promise<void> {
    const owner = await this.roles.rolesOwner(userId);
    if (!owner) return;
    const current = await this.users.get(userId);
    if (current.roles.length === roles.length && roles.every((role) => current.roles.includes(role))) return;
    throw new DomainException(
      'roles_from_provider',
      HttpStatus.CONFLICT,
      `The roles of ${current.email} come from the identity provider ${owner.displayName} (${owner.id}); change them there (its groups or roles), and they apply at the next sign-in.`,
      { title: 'Roles come from the identity provider' },
    );
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
