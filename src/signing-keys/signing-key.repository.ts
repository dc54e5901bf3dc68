import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { SigningKey, type KeyPurpose } from './signing-key.entity.js';

/** An arbitrary constant: the advisory lock that lets one instance at a time create the next key. */
const ROTATION_LOCK = 0x66_64_6b_79;

export type NewSigningKey = Pick<SigningKey, 'kid' | 'purpose' | 'privateJwk' | 'publicJwk' | 'certificatePem' | 'activeFrom' | 'publishedUntil'>;

/** The queries of signing keys, each for one purpose, and nothing else. */
@Injectable()
export class SigningKeyRepository {
  constructor(@InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>) {}

  /** Every key of the purpose that verifiers may still meet, newest activation first. */
  published(purpose: KeyPurpose): Promise<SigningKey[]> {
    return this.keys
      .createQueryBuilder('k')
      .where('k.purpose = :purpose', { purpose })
      .andWhere('k.published_until > now()')
      .orderBy('k.active_from', 'DESC')
      .getMany();
  }

  /** Runs `work` while holding the rotation lock, so two instances never both add a key. */
  withRotationLock<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.keys.manager.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ROTATION_LOCK]);
      return work(manager);
    });
  }

  newest(manager: EntityManager, purpose: KeyPurpose): Promise<SigningKey | null> {
    return manager.getRepository(SigningKey).createQueryBuilder('k').where('k.purpose = :purpose', { purpose }).orderBy('k.active_from', 'DESC').getOne();
  }

  async insert(manager: EntityManager, key: NewSigningKey): Promise<void> {
    await manager.insert(SigningKey, key);
  }

  /** Keys kept unsealed (written before keys were sealed, or while no ENCRYPTION_KEY was set). */
  unsealed(manager: EntityManager, purpose: KeyPurpose): Promise<SigningKey[]> {
    return manager.getRepository(SigningKey).createQueryBuilder('k').where('k.purpose = :purpose', { purpose }).andWhere(`NOT (k.private_jwk ? 'sealed')`).getMany();
  }

  /** Whether any key is sealed: then none can be read without ENCRYPTION_KEY. */
  async anySealed(): Promise<boolean> {
    return (await this.keys.createQueryBuilder('k').where(`k.private_jwk ? 'sealed'`).getCount()) > 0;
  }

  async replacePrivateKey(manager: EntityManager, kid: string, privateJwk: SigningKey['privateJwk']): Promise<void> {
    await manager.update(SigningKey, { kid }, { privateJwk });
  }

  async deleteRetired(manager: EntityManager, purpose: KeyPurpose): Promise<void> {
    await manager.query(`DELETE FROM assertion_signing_keys WHERE purpose = $1 AND published_until < now() - interval '1 day'`, [purpose]);
  }
}
