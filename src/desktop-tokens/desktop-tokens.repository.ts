import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { parameter, type ChainedWrite } from '../database/chained-write.js';
import type { TokenClient } from '../desktop-handoff/studio-clients.js';
import { DesktopRefreshToken } from './desktop-refresh-token.entity.js';
import { DesktopTokenFamily } from './desktop-token-family.entity.js';
import { DesktopToken } from './desktop-token.entity.js';

export interface NewTokenPair {
  familyId: string;
  userId: string;
  client: TokenClient;
  handoffId?: string;
  accessHash: string;
  accessExpiresAt: Date;
  refreshHash: string;
}

export interface RefreshTokenRow {
  id: string;
  familyId: string;
  usedAt: Date | null;
  userId: string;
  client: TokenClient;
  providerId: string | null;
  familyExpiresAt: Date;
}

/** Queries on desktop access tokens, refresh tokens and their families; no rules. */
@Injectable()
export class DesktopTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * A new family and its first access and refresh token in one statement (one round trip instead
   * of three); it joins the caller's transaction through `manager`.
   */
  async insertFamilyWithPair(manager: EntityManager, family: { providerId?: string; expiresAt: Date }, pair: Omit<NewTokenPair, 'familyId'>): Promise<void> {
    await manager.query(
      `WITH family AS (
         INSERT INTO desktop_token_families (user_id, client, provider_id, expires_at) VALUES ($1, $2, $3, $4) RETURNING id
       ), access AS (
         INSERT INTO desktop_tokens (user_id, client, handoff_id, family_id, token_hash, expires_at)
         SELECT $1, $2, $5, id, $6, $7 FROM family RETURNING family_id
       )
       INSERT INTO desktop_refresh_tokens (family_id, token_hash) SELECT family_id, $8 FROM access`,
      [pair.userId, pair.client, family.providerId ?? null, family.expiresAt, pair.handoffId ?? null, pair.accessHash, pair.accessExpiresAt, pair.refreshHash],
    );
  }

  /**
   * The same family and pair as a write chained to the caller's statement (see ChainedWrite), for
   * the user, client and provider of its changed row (`user_id`, `client`, `provider_id`).
   */
  familyWithPairAlongside(familyExpiresAt: Date, pair: Pick<NewTokenPair, 'handoffId' | 'accessHash' | 'accessExpiresAt' | 'refreshHash'>): ChainedWrite {
    return (source, params) => {
      const value = (v: unknown) => parameter(params, v);
      return `token_family AS (
        INSERT INTO desktop_token_families (user_id, client, provider_id, expires_at)
        SELECT user_id, client, provider_id, ${value(familyExpiresAt)}::timestamptz FROM ${source} RETURNING id, user_id, client
      ), token_access AS (
        INSERT INTO desktop_tokens (user_id, client, handoff_id, family_id, token_hash, expires_at)
        SELECT user_id, client, ${value(pair.handoffId ?? null)}::uuid, id, ${value(pair.accessHash)}::char(64), ${value(pair.accessExpiresAt)}::timestamptz FROM token_family
        RETURNING family_id
      ), token_refresh AS (
        INSERT INTO desktop_refresh_tokens (family_id, token_hash) SELECT family_id, ${value(pair.refreshHash)}::char(64) FROM token_access
      )`;
    };
  }

  async insertPair(manager: EntityManager, pair: NewTokenPair): Promise<void> {
    await manager.insert(DesktopToken, {
      userId: pair.userId,
      client: pair.client,
      handoffId: pair.handoffId ?? null,
      familyId: pair.familyId,
      tokenHash: pair.accessHash,
      expiresAt: pair.accessExpiresAt,
    });
    await manager.insert(DesktopRefreshToken, { familyId: pair.familyId, tokenHash: pair.refreshHash });
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRow | undefined> {
    const rows = await this.dataSource.query<
      { id: string; family_id: string; used_at: Date | null; user_id: string; client: TokenClient; provider_id: string | null; expires_at: Date }[]
    >(
      `SELECT r.id, r.family_id, r.used_at, f.user_id, f.client, f.provider_id, f.expires_at
         FROM desktop_refresh_tokens r JOIN desktop_token_families f ON f.id = r.family_id
        WHERE r.token_hash = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { id: row.id, familyId: row.family_id, usedAt: row.used_at, userId: row.user_id, client: row.client, providerId: row.provider_id, familyExpiresAt: row.expires_at };
  }

  /** Marks a refresh token used, once: of two concurrent refreshes with one token, one wins. */
  async markUsed(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(DesktopRefreshToken)
      .set({ usedAt: () => 'now()' })
      .where('id = :id AND used_at IS NULL', { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Rotation retires the family's earlier access tokens and slides the family's expiry. */
  async rotateFamily(manager: EntityManager, familyId: string, expiresAt: Date): Promise<void> {
    await manager.delete(DesktopToken, { familyId });
    await manager.update(DesktopTokenFamily, { id: familyId }, { expiresAt });
  }

  async deleteFamily(familyId: string): Promise<void> {
    await this.dataSource.getRepository(DesktopTokenFamily).delete({ id: familyId });
  }

  /** An unexpired access token by digest; whether its user is still active is checked apart. */
  async findUnexpiredAccessToken(hash: string): Promise<{ id: string; userId: string; expiresAt: Date; lastUsedAt: Date | null } | undefined> {
    const row = await this.dataSource
      .getRepository(DesktopToken)
      .createQueryBuilder('t')
      .select(['t.id', 't.userId', 't.expiresAt', 't.lastUsedAt'])
      .where('t.token_hash = :hash', { hash })
      .andWhere('t.expires_at > now()')
      .getOne();
    return row ? { id: row.id, userId: row.userId, expiresAt: row.expiresAt, lastUsedAt: row.lastUsedAt } : undefined;
  }

  async touch(id: string): Promise<void> {
    await this.dataSource.getRepository(DesktopToken).update({ id }, { lastUsedAt: () => 'now()' });
  }

  /** Deleting by access token also ends its family: a Studio that signs out wants no refresh left. */
  async deleteByAccessHash(hash: string): Promise<boolean> {
    return (await this.deleteTokenAndFamily('token_hash = :hash', { hash })) !== undefined;
  }

  async deleteById(id: string): Promise<{ userId: string } | undefined> {
    return this.deleteTokenAndFamily('id = :id', { id });
  }

  async deleteAllForUser(userId: string): Promise<number> {
    const tokens = await this.dataSource.getRepository(DesktopToken).delete({ userId });
    await this.dataSource.getRepository(DesktopTokenFamily).delete({ userId });
    return tokens.affected ?? 0;
  }

  private async deleteTokenAndFamily(where: string, params: Record<string, string>): Promise<{ userId: string } | undefined> {
    const result = await this.dataSource.getRepository(DesktopToken).createQueryBuilder().delete().where(where, params).returning('user_id, family_id').execute();
    const row = (result.raw as { user_id: string; family_id: string | null }[])[0];
    if (!row) return undefined;
    if (row.family_id) await this.deleteFamily(row.family_id);
    return { userId: row.user_id };
  }

  listForUser(userId: string): Promise<DesktopToken[]> {
    return this.dataSource
      .getRepository(DesktopToken)
      .createQueryBuilder('t')
      .select(['t.id', 't.client', 't.createdAt', 't.lastUsedAt', 't.expiresAt'])
      .where('t.user_id = :userId AND t.expires_at > now()', { userId })
      .orderBy('t.created_at', 'DESC')
      .limit(500)
      .getMany();
  }
}
