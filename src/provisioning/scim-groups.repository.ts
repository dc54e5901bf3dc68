import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { EqCondition, GroupFilterAttribute } from './scim-filter.js';
import { ScimGroupMember, ScimGroupRecord } from './scim-group.entity.js';

/** A provider's SCIM groups and their members. Values reach SQL only as bound parameters. */
@Injectable()
export class ScimGroupsRepository {
  constructor(
    @InjectRepository(ScimGroupRecord) private readonly groups: Repository<ScimGroupRecord>,
    @InjectRepository(ScimGroupMember) private readonly members: Repository<ScimGroupMember>,
  ) {}

  find(providerId: string, id: string, tx?: EntityManager): Promise<ScimGroupRecord | null> {
    return (tx ? tx.getRepository(ScimGroupRecord) : this.groups).findOneBy({ id, providerId });
  }

  async search(providerId: string, conditions: EqCondition<GroupFilterAttribute>[], page: { offset: number; limit: number }): Promise<{ total: number; records: ScimGroupRecord[] }> {
    const query = this.groups.createQueryBuilder('g').where('g.provider_id = :providerId', { providerId });
    conditions.forEach((condition, i) => {
      const value = `v${i}`;
      if (condition.attribute === 'displayName') query.andWhere(`lower(g.display_name) = lower(:${value})`, { [value]: condition.value });
      else query.andWhere(`g.external_id = :${value}`, { [value]: condition.value });
    });
    const total = await query.getCount();
    const records = page.limit === 0 ? [] : await query.orderBy('g.created_at', 'ASC').addOrderBy('g.id', 'ASC').offset(page.offset).limit(page.limit).getMany();
    return { total, records };
  }

  /** The member user ids of each group. */
  async memberIds(groupIds: string[], tx?: EntityManager): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>(groupIds.map((id) => [id, []]));
    if (groupIds.length === 0) return result;
    const rows = await (tx ? tx.getRepository(ScimGroupMember) : this.members)
      .createQueryBuilder('m')
      .where('m.group_id = ANY(:groupIds::uuid[])', { groupIds })
      .orderBy('m.user_id')
      .getMany();
    for (const row of rows) result.get(row.groupId)?.push(row.userId);
    return result;
  }

  /** The displayNames of the groups a user is a member of. */
  async displayNamesOf(userId: string): Promise<string[]> {
    const rows = await this.groups
      .createQueryBuilder('g')
      .select('g.display_name', 'name')
      .innerJoin(ScimGroupMember, 'm', 'm.group_id = g.id')
      .where('m.user_id = :userId', { userId })
      .orderBy('g.display_name')
      .getRawMany<{ name: string }>();
    return rows.map((row) => row.name);
  }

  /** The groups of this provider a user is a member of (ids). */
  async groupIdsOf(providerId: string, userId: string): Promise<string[]> {
    const rows = await this.groups
      .createQueryBuilder('g')
      .select('g.id', 'id')
      .innerJoin(ScimGroupMember, 'm', 'm.group_id = g.id')
      .where('m.user_id = :userId AND g.provider_id = :providerId', { userId, providerId })
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  save(group: ScimGroupRecord, tx: EntityManager): Promise<ScimGroupRecord> {
    return tx.getRepository(ScimGroupRecord).save(group);
  }

  create(fields: Partial<ScimGroupRecord>): ScimGroupRecord {
    return this.groups.create(fields);
  }

  async addMembers(groupId: string, userIds: string[], tx: EntityManager): Promise<void> {
    if (userIds.length === 0) return;
    await tx.createQueryBuilder().insert().into(ScimGroupMember).values(userIds.map((userId) => ({ groupId, userId }))).orIgnore().execute();
  }

  async removeMembers(groupId: string, userIds: string[], tx: EntityManager): Promise<void> {
    if (userIds.length === 0) return;
    await tx.createQueryBuilder().delete().from(ScimGroupMember).where('group_id = :groupId AND user_id = ANY(:userIds::uuid[])', { groupId, userIds }).execute();
  }

  async removeUser(groupIds: string[], userId: string): Promise<void> {
    if (groupIds.length === 0) return;
    await this.members.createQueryBuilder().delete().where('group_id = ANY(:groupIds::uuid[]) AND user_id = :userId', { groupIds, userId }).execute();
  }

  async delete(id: string, tx: EntityManager): Promise<void> {
    await tx.getRepository(ScimGroupRecord).delete({ id });
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.groups.manager.transaction(work);
  }
}
