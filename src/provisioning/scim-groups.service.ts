import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { UsersService } from '../users/users.service.js';
import { ScimException } from './scim-error.js';
import { eqConditions, GROUP_FILTER_ATTRIBUTES } from './scim-filter.js';
import { readGroup, type ScimGroupInput, type ScimGroupState } from './scim-group-resource.js';
import type { ScimGroupRecord } from './scim-group.entity.js';
import { ScimGroupsRepository } from './scim-groups.repository.js';
import { applyPatch } from './scim-patch.js';
import type { ScimClient } from './scim-token.guard.js';
import type { ListPage } from './scim-users.service.js';
import { ScimUsersRepository } from './scim-users.repository.js';
import { MembershipRoles } from './membership-roles.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNIQUE_VIOLATION = '23505';

/**
 * SCIM Groups of one provider's directory. Members are that provider's users only. Every change of
 * membership, once committed, goes to MembershipRoles, which re-evaluates the provider's role rules
 * for the users concerned.
 */
@Injectable()
export class ScimGroupsService {
  constructor(
    private readonly groups: ScimGroupsRepository,
    private readonly userRecords: ScimUsersRepository,
    private readonly users: UsersService,
    private readonly roles: MembershipRoles,
    private readonly audit: AuditService,
  ) {}

  /** The displayNames of the SCIM groups a user is a member of (what role rules on `groups` read). */
  groupsOf(userId: string): Promise<string[]> {
    return this.groups.displayNamesOf(userId);
  }

  async create(client: ScimClient, body: unknown): Promise<ScimGroupState> {
    const input = readGroup(body);
    const group = await this.groups.transaction(async (tx) => this.write(tx, client, this.groups.create({ providerId: client.providerId }), input, []));
    await this.audit.record({ type: 'scim.group.created', providerId: client.providerId, details: { groupId: group.id, displayName: group.displayName, members: input.memberIds.length } });
    await this.onMembershipChanged(client.providerId, input.memberIds);
    return this.stateOf(group, input.memberIds);
  }

  async get(client: ScimClient, id: string, withMembers: boolean): Promise<ScimGroupState> {
    const group = await this.live(client, id);
    return this.stateOf(group, withMembers ? ((await this.groups.memberIds([id])).get(id) ?? []) : undefined);
  }

  async list(client: ScimClient, filter: string | undefined, page: ListPage, withMembers: boolean): Promise<{ total: number; states: ScimGroupState[] }> {
    const conditions = filter ? eqConditions(filter, GROUP_FILTER_ATTRIBUTES) : [];
    const { total, records } = await this.groups.search(client.providerId, conditions, { offset: page.startIndex - 1, limit: page.count });
    const members = withMembers ? await this.groups.memberIds(records.map((group) => group.id)) : undefined;
    return { total, states: await Promise.all(records.map((group) => this.stateOf(group, members?.get(group.id)))) };
  }

  async replace(client: ScimClient, id: string, body: unknown): Promise<ScimGroupState> {
    return this.update(client, id, () => readGroup(body));
  }

  /** Every operation applies to the current group, members included, and the result is written whole; all or nothing. */
  async patch(client: ScimClient, id: string, body: unknown): Promise<ScimGroupState> {
    return this.update(client, id, (current) => readGroup(applyPatch(current, body)));
  }

  async delete(client: ScimClient, id: string): Promise<void> {
    const group = await this.live(client, id);
    const members = await this.groups.transaction(async (tx) => {
      const ids = (await this.groups.memberIds([id], tx)).get(id) ?? [];
      await this.groups.delete(id, tx);
      return ids;
    });
    await this.audit.record({ type: 'scim.group.deleted', providerId: client.providerId, details: { groupId: id, displayName: group.displayName, members: members.length } });
    await this.onMembershipChanged(client.providerId, members);
  }

  /** A user deleted through SCIM leaves every group of the provider. */
  async removeMember(providerId: string, userId: string): Promise<void> {
    const groupIds = await this.groups.groupIdsOf(providerId, userId);
    if (groupIds.length === 0) return;
    await this.groups.removeUser(groupIds, userId);
    await this.onMembershipChanged(providerId, [userId]);
  }

  /**
   * The users whose group memberships just changed (committed). Role rules that read `groups`
   * count SCIM memberships, so the users' roles are evaluated again at once.
   */
  async onMembershipChanged(providerId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.roles.membershipChanged(providerId, [...new Set(userIds)]);
  }

  private async update(client: ScimClient, id: string, next: (current: Record<string, unknown>) => ScimGroupInput): Promise<ScimGroupState> {
    const group = await this.live(client, id);
    const { changed, input, saved } = await this.groups.transaction(async (tx) => {
      const before = (await this.groups.memberIds([id], tx)).get(id) ?? [];
      const input = next({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id, displayName: group.displayName, externalId: group.externalId ?? undefined, members: before.map((value) => ({ value })) });
      const saved = await this.write(tx, client, group, input, before);
      const added = input.memberIds.filter((member) => !before.includes(member));
      const removed = before.filter((member) => !input.memberIds.includes(member));
      return { changed: [...added, ...removed], input, saved };
    });
    await this.audit.record({ type: 'scim.group.updated', providerId: client.providerId, details: { groupId: id, displayName: saved.displayName, members: input.memberIds.length, membersChanged: changed.length } });
    await this.onMembershipChanged(client.providerId, changed);
    return this.stateOf(saved, input.memberIds);
  }

  /** The group as the input says, members included, in the caller's transaction. */
  private async write(tx: EntityManager, client: ScimClient, group: ScimGroupRecord, input: ScimGroupInput, before: string[]): Promise<ScimGroupRecord> {
    const added = input.memberIds.filter((member) => !before.includes(member));
    const live = await this.userRecords.liveIds(client.providerId, added, tx);
    const strangers = added.filter((member) => !live.has(member));
    if (strangers.length > 0) throw new ScimException(400, `Not users of this provider: ${strangers.slice(0, 5).join(', ')}${strangers.length > 5 ? ', …' : ''}.`, 'invalidValue');
    group.displayName = input.displayName;
    group.externalId = input.externalId;
    let saved: ScimGroupRecord;
    try {
      saved = await tx.transaction((inner) => this.groups.save(group, inner));
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw new ScimException(409, `A group named ${input.displayName} already exists.`, 'uniqueness');
      throw error;
    }
    await this.groups.removeMembers(saved.id, before.filter((member) => !input.memberIds.includes(member)), tx);
    await this.groups.addMembers(saved.id, added, tx);
    return saved;
  }

  private async stateOf(group: ScimGroupRecord, memberIds: string[] | undefined): Promise<ScimGroupState> {
    const emails = memberIds ? new Map((await this.users.findByIds(memberIds)).map((user) => [user.id, user.email])) : undefined;
    return {
      id: group.id,
      displayName: group.displayName,
      externalId: group.externalId,
      ...(memberIds ? { members: memberIds.map((id) => ({ id, email: emails?.get(id) })) } : {}),
      created: group.createdAt,
      lastModified: group.updatedAt,
    };
  }

  private async live(client: ScimClient, id: string): Promise<ScimGroupRecord> {
    const group = UUID.test(id) ? await this.groups.find(client.providerId, id) : null;
    if (!group) throw new ScimException(404, `No group ${id} here.`);
    return group;
  }
}
