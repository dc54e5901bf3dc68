import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { DesktopTokenVerifier } from '../auth/guards/desktop-token.guard.js';
import { ActiveUsersService } from '../auth/session/active-users.service.js';
import { RevocationListener } from '../auth/session/revocation-listener.js';
import { TtlCache } from '../auth/session/ttl-cache.js';
import { newSecret, sha256Hex } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { User } from '../users/user.entity.js';
import { DesktopToken } from './desktop-token.entity.js';
import type { TokenClient } from './studio-clients.js';

const TOKEN_PREFIX = 'fdst';
const MAX_CACHED_TOKENS = 10_000;

interface CachedToken {
  userId: string;
  expiresAt: number;
}

export interface IssuedDesktopToken {
  accessToken: string;
  expiresIn: number;
}

/** Desktop Studio bearer tokens: opaque, 256 random bits, stored as SHA-256, tied to a user and a client. */
@Injectable()
export class DesktopTokensService implements DesktopTokenVerifier {
  /** Valid tokens seen in the last few seconds, by digest; a revoked token is dropped on every instance when its row goes. */
  private readonly cached: TtlCache<CachedToken>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(DesktopToken) private readonly tokens: Repository<DesktopToken>,
    private readonly activeUsers: ActiveUsersService,
    private readonly listener: RevocationListener,
  ) {
    this.cached = new TtlCache(config.session.cacheSeconds * 1000, MAX_CACHED_TOKENS);
    listener.on('t', (hash) => this.cached.delete(hash));
    listener.onReset(() => this.cached.clear());
  }

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
    return { accessToken, expiresIn };
  }

  /**
   * The lookup is by SHA-256 digest through a unique index, so the digest of a guess reveals
   * nothing about a stored token. The user must still be active: deactivation stops tokens at once.
   */
  async verify(token: string): Promise<User | undefined> {
    if (!token.startsWith(`${TOKEN_PREFIX}_`)) return undefined;
    const hash = sha256Hex(token);
    const grant = this.cached.get(hash) ?? (await this.load(hash));
    if (!grant || grant.expiresAt <= Date.now()) return undefined;
    return this.activeUsers.find(grant.userId);
  }

  private async load(hash: string): Promise<CachedToken | undefined> {
    const mark = this.listener.snapshot();
    const row = await this.tokens
      .createQueryBuilder('t')
      .select(['t.userId', 't.expiresAt'])
      .where('t.token_hash = :hash', { hash })
      .andWhere('t.expires_at > now()')
      .getOne();
    if (!row) return undefined;
    const grant = { userId: row.userId, expiresAt: row.expiresAt.getTime() };
    // Not cached if a revocation was announced while the row was being read.
    if (this.listener.unchanged(mark)) this.cached.set(hash, grant);
    return grant;
  }

  async revoke(token: string): Promise<boolean> {
    const hash = sha256Hex(token);
    const result = await this.tokens.delete({ tokenHash: hash });
    this.listener.announce('t', hash);
    if (result.affected) await this.listener.barrier();
    return (result.affected ?? 0) > 0;
  }

  async revokeAllForUser(userId: string): Promise<number> {
    const result = await this.tokens.createQueryBuilder().delete().where('user_id = :userId', { userId }).returning('token_hash').execute();
    const revoked = (result.raw as Array<{ token_hash: string }>).map((row) => row.token_hash);
    for (const hash of revoked) this.listener.announce('t', hash);
    if (revoked.length > 0) await this.listener.barrier();
    return revoked.length;
  }
}
