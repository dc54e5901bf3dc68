import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { parameter, type ChainedWrite } from '../database/chained-write.js';
import type { User } from '../users/user.entity.js';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { EqCondition, UserFilterAttribute } from './scim-filter.js';
import { ScimUserRecord } from './scim-user.entity.js';

/** A record as a list shows it, with the parts of its platform user a resource needs. */
export interface ListedUser {
  record: Pick<ScimUserRecord, 'userId' | 'userName' | 'externalId' | 'attributes' | 'createdAt' | 'updatedAt'>;
  user: Pick<User, 'id' | 'active' | 'displayName' | 'createdAt' | 'updatedAt'>;
}

// A type (not an interface): pg's row constraint wants an index signature.
type ListedRow = {
  user_id: string;
  user_name: string;
  external_id: string | null;
  attributes: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  active: boolean;
  display_name: string;
  user_created_at: Date;
  user_updated_at: Date;
  total: string;
};

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

  /**
   * One page of the provider's live users matching every condition, oldest first, with their
   * platform users, and how many match in all: one statement (the total is a window count over the
   * same rows), and a second only for a page past the end. Planned at each call, not as a named
   * prepared statement: with a connection's cached plan, made while the table was small, the bench's
   * filtered GET at 10,000 users ran at 0.24× the bare read; planned at each call, 0.56× to 0.64×.
   */
  async search(providerId: string, conditions: EqCondition<UserFilterAttribute>[], page: { offset: number; limit: number }): Promise<{ total: number; listed: ListedUser[] }> {
    const params: unknown[] = [providerId];
    const where = ['r.provider_id = $1', 'r.deleted_at IS NULL'];
    for (const condition of conditions) {
      const value = parameter(params, condition.value);
      if (condition.attribute === 'userName') where.push(`lower(r.user_name) = lower(${value})`);
      else if (condition.attribute === 'externalId') where.push(`r.external_id = ${value}`);
      else where.push(`r.emails @> ARRAY[lower(${value})]::text[]`);
    }
    const run = <T extends Record<string, unknown>>(text: string, values: unknown[]): Promise<T[]> => this.records.query(text, values);
    const count = async () => Number((await run<{ total: string }>(`SELECT count(*) AS total FROM scim_users r WHERE ${where.join(' AND ')}`, params))[0].total);
    if (page.limit === 0) return { total: await count(), listed: [] };
    const rows = await run<ListedRow>(
      `SELECT r.user_id, r.user_name, r.external_id, r.attributes, r.created_at, r.updated_at,
              u.active, u.display_name, u.created_at AS user_created_at, u.updated_at AS user_updated_at, count(*) OVER () AS total
         FROM scim_users r JOIN users u ON u.id = r.user_id
        WHERE ${where.join(' AND ')}
        ORDER BY r.created_at ASC, r.user_id ASC OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, page.offset, page.limit],
    );
    const total = rows.length > 0 ? Number(rows[0].total) : page.offset === 0 ? 0 : await count();
    return { total, listed: rows.map(listedOfRow) };
  }

  /** A new record as a write chained to the statement that creates its user (see ChainedWrite), reading the user's id from it. */
  insertAlongside(record: Pick<ScimUserRecord, 'providerId' | 'userName' | 'externalId' | 'emails' | 'attributes'>): ChainedWrite {
    return (source, params) => {
      const value = (v: unknown) => parameter(params, v);
      return `scim_user_${params.length} AS (
        INSERT INTO scim_users (user_id, provider_id, user_name, external_id, emails, attributes)
        SELECT ${source}.id, ${value(record.providerId)}::varchar, ${value(record.userName)}::varchar, ${value(record.externalId)}::varchar,
               ${value(record.emails)}::text[], ${value(JSON.stringify(record.attributes))}::jsonb
          FROM ${source})`;
    };
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

function listedOfRow(row: ListedRow): ListedUser {
  return {
    record: { userId: row.user_id, userName: row.user_name, externalId: row.external_id, attributes: row.attributes, createdAt: row.created_at, updatedAt: row.updated_at },
    user: { id: row.user_id, active: row.active, displayName: row.display_name, createdAt: row.user_created_at, updatedAt: row.user_updated_at },
  };
}
