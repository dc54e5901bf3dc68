import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AdminUsersService } from '../admin/admin-users.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuditDetails } from '../audit/audit.types.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ScimException } from './scim-error.js';
import { eqConditions, USER_FILTER_ATTRIBUTES } from './scim-filter.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { applyPatch } from './scim-patch.js';
import type { ScimClient } from './scim-token.guard.js';
import { readUser, userResource, type ScimUserInput, type ScimUserState } from './scim-user-resource.js';
import type { ScimUserRecord } from './scim-user.entity.js';
import { ScimUsersRepository } from './scim-users.repository.js';

export interface ListPage {
  startIndex: number;
  count: number;
}

/**
 * SCIM Users of one provider's directory. Every change to the platform user goes through
 * UsersService inside one transaction with the SCIM record, so a request applies whole or not at
 * all; a deactivation then ends the user's access through the same path as an admin's.
 */
@Injectable()
export class ScimUsersService {
  private readonly logger = new Logger(ScimUsersService.name);

  constructor(
    private readonly records: ScimUsersRepository,
    private readonly users: UsersService,
    private readonly access: AdminUsersService,
    private readonly groups: ScimGroupsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * A new user, linked at first login through this provider only. A userName this provider's
   * directory deleted before brings that user back; any other taken userName is 409 uniqueness.
   */
  async create(client: ScimClient, body: unknown): Promise<ScimUserState> {
    const input = readUser(body);
    const created = await (input.active ? this.createActive(client, input) : this.createInactive(client, input)).catch((error: unknown) => {
      if (isTaken(error)) return undefined;
      throw error;
    });
    if (created) return created;
    const { user, record } = await this.revive(client, input);
    await this.audit.record({ type: 'scim.user.created', userId: user.id, email: user.email, providerId: client.providerId, details: createdDetails(input, user.active, true) });
    if (!user.active) await this.deactivated(client, user);
    return stateOf(user, record);
  }

  /**
   * The common case, an active new user, in one statement: the user, the SCIM record and the audit
   * event commit together in one round trip. Both rows take the statement's now() as created and
   * last modified.
   */
  private async createActive(client: ScimClient, input: ScimUserInput): Promise<ScimUserState> {
    const user = await this.users.createAlongside({ email: input.userName, displayName: input.displayName, provisionedBy: client.providerId }, [
      this.records.insertAlongside({ providerId: client.providerId, userName: input.userName, externalId: input.externalId, emails: input.emails, attributes: input.attributes }),
      this.audit.alongside({ type: 'scim.user.created', providerId: client.providerId, details: createdDetails(input, true, false) }, { userId: 'id', email: 'email' }),
    ]);
    return stateOf(user, { userName: input.userName, externalId: input.externalId, attributes: input.attributes, createdAt: user.createdAt, updatedAt: user.updatedAt });
  }

  /** A new user created inactive: one transaction, then deactivated like any other. */
  private async createInactive(client: ScimClient, input: ScimUserInput): Promise<ScimUserState> {
    const { user, record } = await this.records.transaction(async (tx) => {
      const created = await this.users.create({ email: input.userName, displayName: input.displayName, provisionedBy: client.providerId }, tx);
      const fresh = this.records.create({ userId: created.id, providerId: client.providerId, userName: input.userName, externalId: input.externalId, emails: input.emails, attributes: input.attributes });
      const inserted = await this.records.insert(fresh, tx);
      return { user: await this.users.update(created.id, { active: false }, tx), record: inserted };
    });
    await this.audit.record({ type: 'scim.user.created', userId: user.id, email: user.email, providerId: client.providerId, details: createdDetails(input, false, false) });
    await this.deactivated(client, user);
    return stateOf(user, record);
  }

  /** A taken userName: this provider's deleted user of that name comes back, anything else is 409 uniqueness. */
  private async revive(client: ScimClient, input: ScimUserInput): Promise<{ user: User; record: ScimUserRecord }> {
    return this.records.transaction(async (tx) => {
      const previous = await this.records.findByUserName(client.providerId, input.userName, tx);
      if (!previous?.deletedAt) throw taken(input.userName);
      return this.write(tx, previous, input, await this.users.get(previous.userId));
    });
  }

  async get(client: ScimClient, id: string): Promise<ScimUserState> {
    const record = await this.live(client, id);
    return stateOf(await this.users.get(id), record);
  }

  async list(client: ScimClient, filter: string | undefined, page: ListPage): Promise<{ total: number; states: ScimUserState[] }> {
    const conditions = filter ? eqConditions(filter, USER_FILTER_ATTRIBUTES) : [];
    const { total, listed } = await this.records.search(client.providerId, conditions, { offset: page.startIndex - 1, limit: page.count });
    return { total, states: listed.map(({ user, record }) => stateOf(user, record)) };
  }

  /** PUT: the resource as sent replaces what was there (Okta's profile updates and deactivation). */
  async replace(client: ScimClient, id: string, body: unknown): Promise<ScimUserState> {
    return this.update(client, id, () => readUser(body));
  }

  /** PATCH: every operation applies to the current resource, then the result is written as PUT would; all or nothing. */
  async patch(client: ScimClient, id: string, body: unknown): Promise<ScimUserState> {
    return this.update(client, id, (current) => readUser(applyPatch(current, body)));
  }

  /** DELETE: the user is deactivated and leaves the provider's groups; the resource answers 404 from now on. */
  async delete(client: ScimClient, id: string): Promise<void> {
    const record = await this.live(client, id);
    const user = await this.records.transaction(async (tx) => {
      record.deletedAt = new Date();
      await this.records.save(record, tx);
      return this.users.update(id, { active: false }, tx);
    });
    await this.groups.removeMember(client.providerId, id);
    await this.audit.record({ type: 'scim.user.deleted', userId: user.id, email: user.email, providerId: client.providerId });
    await this.deactivated(client, user);
  }

  private async update(client: ScimClient, id: string, next: (current: Record<string, unknown>) => ScimUserInput): Promise<ScimUserState> {
    const record = await this.live(client, id);
    const before = await this.users.get(id);
    const input = next(userResource(stateOf(before, record), ''));
    const { user, record: written } = await this.records.transaction(async (tx) => {
      if (input.userName.toLowerCase() !== record.userName.toLowerCase()) {
        const other = await this.records.findByUserName(client.providerId, input.userName, tx);
        if (other && other.userId !== id) throw taken(input.userName);
      }
      return this.write(tx, record, input, before);
    });
    await this.audit.record({ type: 'scim.user.updated', userId: user.id, email: user.email, providerId: client.providerId, details: changesOf(before, user, record, input) });
    if (before.active && !user.active) await this.deactivated(client, user);
    return stateOf(user, written);
  }

  /**
   * The platform user and the SCIM record as the input says, in the caller's transaction. The user
   * is written only when the input changes it: most of a sync cycle's writes change nothing there.
   */
  private async write(tx: EntityManager, record: ScimUserRecord, input: ScimUserInput, current: User): Promise<{ user: User; record: ScimUserRecord }> {
    const changes = { email: input.userName, displayName: input.displayName, active: input.active };
    const same = current.email === changes.email.toLowerCase() && current.displayName === changes.displayName && current.active === changes.active;
    const user = same
      ? current
      : await this.users.update(record.userId, changes, tx).catch((error: unknown) => {
          throw isTaken(error) ? taken(input.userName) : error;
        });
    Object.assign(record, { userName: input.userName, externalId: input.externalId, emails: input.emails, attributes: input.attributes, deletedAt: null });
    return { user, record: await this.records.save(record, tx) };
  }

  /** Every console session and desktop or device token of the user ends, on every instance, before the answer. */
  private async deactivated(client: ScimClient, user: User): Promise<void> {
    const ended = await this.access.endAccess(user.id);
    this.logger.log(`user ${user.id} deactivated through SCIM (provider ${client.providerId}); ${ended.sessions} session(s) ended, ${ended.desktopTokens} desktop token(s) revoked`);
    await this.audit.record({ type: 'scim.user.deactivated', userId: user.id, email: user.email, providerId: client.providerId, details: { ...ended } });
  }

  private async live(client: ScimClient, id: string): Promise<ScimUserRecord> {
    const record = UUID.test(id) ? await this.records.find(client.providerId, id) : null;
    if (!record) throw new ScimException(404, `No user ${id} here.`);
    return record;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function stateOf(user: Pick<User, 'id' | 'active' | 'displayName' | 'createdAt' | 'updatedAt'>, record: Pick<ScimUserRecord, 'userName' | 'externalId' | 'attributes' | 'createdAt' | 'updatedAt'>): ScimUserState {
  return {
    id: user.id,
    userName: record.userName,
    externalId: record.externalId,
    active: user.active,
    displayName: user.displayName,
    attributes: record.attributes,
    created: record.createdAt ?? user.createdAt,
    lastModified: new Date(Math.max(record.updatedAt?.getTime() ?? 0, user.updatedAt.getTime())),
  };
}

function createdDetails(input: ScimUserInput, active: boolean, revived: boolean): AuditDetails {
  return { externalId: input.externalId, active, ...(revived ? { restored: true } : {}) };
}

function changesOf(before: User, after: User, record: ScimUserRecord, input: ScimUserInput): AuditDetails {
  const changed: string[] = [];
  if (before.email !== after.email) changed.push('userName');
  if (before.displayName !== after.displayName) changed.push('displayName');
  if (before.active !== after.active) changed.push('active');
  return { changed, active: after.active, externalId: input.externalId ?? record.externalId };
}

function taken(userName: string): ScimException {
  return new ScimException(409, `The userName ${userName} is already taken in this environment.`, 'uniqueness');
}

function isTaken(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'user_exists';
}
