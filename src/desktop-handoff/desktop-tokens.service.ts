import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { DesktopTokenVerifier } from '../auth/guards/desktop-token.guard.js';
import { newSecret, sha256Hex } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { pruneExpired } from '../database/prune-expired.js';
import type { User } from '../users/user.entity.js';
import { DesktopToken } from './desktop-token.entity.js';
import type { TokenClient } from './studio-clients.js';

const TOKEN_PREFIX = 'fdst';

export interface IssuedDesktopToken {
  accessToken: string;
  expiresIn: number;
}

/** Desktop Studio bearer tokens: opaque, 256 random bits, stored as SHA-256, tied to a user and a client. */
@Injectable()
export class DesktopTokensService implements DesktopTokenVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(DesktopToken) private readonly tokens: Repository<DesktopToken>,
  ) {}

  /** The clear token is returned once and never stored. `manager` lets it join the redemption's transaction. */
  async issue(grant: { userId: string; client: TokenClient; handoffId?: string | null }, manager: EntityManager = this.tokens.manager): Promise<IssuedDesktopToken> {
    const expiresIn = this.config.desktop.tokenTtlSeconds;
    const accessToken = newSecret(TOKEN_PREFIX);
    await manager.insert(DesktopToken, {
      userId: grant.userId,
      client: grant.client,
      handoffId: grant.handoffId ?? null,
      tokenHash: sha256Hex(accessToken),
      expiresAt: new Date(Date.now() + expiresIn * 1000),
    });
    await pruneExpired(manager, 'desktop_tokens');
    return { accessToken, expiresIn };
  }

  /**
   * The lookup is by SHA-256 digest through a unique index, so the digest of a guess reveals
   * nothing about a stored token. The user must still be active: deactivation stops tokens at once.
   */
  async verify(token: string): Promise<User | undefined> {
    if (!token.startsWith(`${TOKEN_PREFIX}_`)) return undefined;
    const row = await this.tokens
      .createQueryBuilder('t')
      .innerJoinAndSelect('t.user', 'u')
      .where('t.token_hash = :hash', { hash: sha256Hex(token) })
      .andWhere('t.expires_at > now()')
      .andWhere('u.active')
      .getOne();
    return row?.user;
  }

  async revoke(token: string): Promise<boolean> {
    const result = await this.tokens.delete({ tokenHash: sha256Hex(token) });
    return (result.affected ?? 0) > 0;
  }

  /** A user's unexpired desktop tokens (their metadata; the token itself is never stored). */
  listForUser(userId: string): Promise<DesktopToken[]> {
    return this.tokens
      .createQueryBuilder('t')
      .where('t.user_id = :userId AND t.expires_at > now()', { userId })
      .orderBy('t.created_at', 'DESC')
      .getMany();
  }

  async revokeForUser(userId: string, id: string): Promise<boolean> {
    const result = await this.tokens.delete({ userId, id });
    return (result.affected ?? 0) > 0;
  }

  async revokeAllForUser(userId: string): Promise<number> {
    const result = await this.tokens.delete({ userId });
    return result.affected ?? 0;
  }
}
