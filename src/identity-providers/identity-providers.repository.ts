import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { IdentityProviderRecord } from './identity-provider.entity.js';
import type { ProbeResult } from './provider-probe.js';
import { ProviderTestRecord } from './provider-test-result.entity.js';

/** The channel every instance listens on; the payload is the changed provider's id. */
export const PROVIDER_CHANGES_CHANNEL = 'identity_provider_changes';

export type NewProviderRow = Omit<IdentityProviderRecord, 'createdAt' | 'updatedAt' | 'version'>;
export type ProviderRowChanges = Partial<Omit<IdentityProviderRecord, 'id' | 'createdAt' | 'updatedAt' | 'version'>>;

/** Queries on the provider table; each change also notifies the other instances in the same transaction. */
@Injectable()
export class IdentityProvidersRepository {
  constructor(
    @InjectRepository(IdentityProviderRecord) private readonly rows: Repository<IdentityProviderRecord>,
    @InjectRepository(ProviderTestRecord) private readonly tests: Repository<ProviderTestRecord>,
  ) {}

  list(): Promise<IdentityProviderRecord[]> {
    return this.rows.find({ order: { displayName: 'ASC', id: 'ASC' } });
  }

  find(id: string): Promise<IdentityProviderRecord | null> {
    return this.rows.findOne({ where: { id } });
  }

  async anyWithSecret(): Promise<boolean> {
    return (await this.rows.createQueryBuilder('p').where('p.client_secret_encrypted IS NOT NULL').getCount()) > 0;
  }

  /** Inserts unless the id exists; false when it does (the primary key decides, not a prior read). */
  insert(row: NewProviderRow): Promise<boolean> {
    return this.rows.manager.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(IdentityProviderRecord)
        .values({ ...row, version: 1 })
        .orIgnore()
        .returning('id')
        .execute();
      if ((result.raw as unknown[]).length === 0) return false;
      await notify(manager, row.id);
      return true;
    });
  }

  /** Applies the changes and raises the version in one statement; false when the row is gone. */
  update(id: string, changes: ProviderRowChanges): Promise<boolean> {
    return this.rows.manager.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(IdentityProviderRecord)
        .set({ ...changes, version: () => 'version + 1' })
        .where('id = :id', { id })
        .execute();
      if (!result.affected) return false;
      await notify(manager, id);
      return true;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.rows.manager.transaction(async (manager) => {
      const result = await manager.delete(IdentityProviderRecord, { id });
      if (!result.affected) return false;
      await notify(manager, id);
      return true;
    });
  }

  count(): Promise<number> {
    return this.rows.count();
  }

  /** Replaces the provider's last Test result, noting which configuration it tested. */
  async saveTest(providerId: string, result: ProbeResult, fingerprint: string): Promise<void> {
    await this.tests.upsert({ providerId, ok: result.ok, steps: result.steps, testedAt: new Date(), fingerprint }, ['providerId']);
  }

  lastTests(): Promise<ProviderTestRecord[]> {
    return this.tests.find();
  }

  lastTest(providerId: string): Promise<ProviderTestRecord | null> {
    return this.tests.findOne({ where: { providerId } });
  }

  async deleteTest(providerId: string): Promise<void> {
    await this.tests.delete({ providerId });
  }
}

/** Delivered to listeners only when the transaction commits, so nobody reloads a row that is not there yet. */
async function notify(manager: EntityManager, id: string): Promise<void> {
  await manager.query('SELECT pg_notify($1, $2)', [PROVIDER_CHANGES_CHANNEL, id]);
}
