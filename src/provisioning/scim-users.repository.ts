import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { EqCondition, UserFilterAttribute } from './scim-filter.js';
import { ScimUserRecord } from './scim-user.entity.js';

/** The SCIM records of a provider's users. Values reach SQL only as bound parameters. */
@Injectable()
export class ScimUsersRepository {
  constructor(@InjectRepository(ScimUserRecord) private readonly records: Repository<ScimUserRecord>) {}

  /** A live (not deleted) user of this provider. */
  find(providerId: string, userId: string): Promise<ScimUserRecord | null> {
    return this.records.createQueryBuilder('r').where('r.user_id = :userId AND r.provider_id = :providerId AND r.deleted_at IS NULL', { userId, providerId }).getOne();
  }

  /** This provider's record for a userName, deleted or not (a deleted one may come back). */
  findByUserName(providerId: string, userName: string, tx?: EntityManager): Promise<ScimUserRecord | null> {
    return this.repository(tx).createQueryBuilder('r').where('r.provider_id = :providerId AND lower(r.user_name) = lower(:userName)', { providerId, userName }).getOne();
  }

  /** Which of these user ids are live users of this provider. */
  async liveIds(providerId: string, userIds: string[], tx?: EntityManager): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.repository(tx)
      .createQueryBuilder('r')
      .select('r.user_id', 'id')
      .where('r.provider_id = :providerId AND r.deleted_at IS NULL AND r.user_id = ANY(:userIds::uuid[])', { providerId, userIds })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((row) => row.id));
  }

  /** One page of the provider's live users matching every condition, oldest first, and how many match in all. */
  async search(providerId: string, conditions: EqCondition<UserFilterAttribute>[], page: { offset: number; limit: number }): Promise<{ total: number; records: ScimUserRecord[] }> {
    const query = this.records.createQueryBuilder('r').where('r.provider_id = :providerId AND r.deleted_at IS NULL', { providerId });
    conditions.forEach((condition, i) => {
      const value = `v${i}`;
      if (condition.attribute === 'userName') query.andWhere(`lower(r.user_name) = lower(:${value})`, { [value]: condition.value });
      else if (condition.attribute === 'externalId') query.andWhere(`r.external_id = :${value}`, { [value]: condition.value });
      else query.andWhere(`r.emails @> ARRAY[lower(:${value})]::text[]`, { [value]: condition.value });
    });
    const total = await query.getCount();
    const records = page.limit === 0 ? [] : await query.orderBy('r.created_at', 'ASC').addOrderBy('r.user_id', 'ASC').offset(page.offset).limit(page.limit).getMany();
    return { total, records };
  }

  /** A new record: one INSERT … RETURNING (save would look for an existing row first). */
  async insert(record: ScimUserRecord, tx: EntityManager): Promise<ScimUserRecord> {
    await tx.getRepository(ScimUserRecord).insert(record as QueryDeepPartialEntity<ScimUserRecord>);
    return record;
  }

  save(record: ScimUserRecord, tx: EntityManager): Promise<ScimUserRecord> {
    return tx.getRepository(ScimUserRecord).save(record);
  }

  create(fields: Partial<ScimUserRecord>): ScimUserRecord {
    return this.records.create(fields);
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.records.manager.transaction(work);
  }

  private repository(tx?: EntityManager): Repository<ScimUserRecord> {
    return tx ? tx.getRepository(ScimUserRecord) : this.records;
  }
}
