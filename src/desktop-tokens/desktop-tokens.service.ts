import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { DesktopTokenVerifier } from '../auth/guards/desktop-token.guard.js';
import type { ChainedWrite } from '../database/chained-write.js';
import type { TokenClient } from '../desktop-handoff/studio-clients.js';
import { IdentityProviderRegistry } from '../identity-providers/identity-provider.registry.js';
import { DomainException } from '../common/domain.exception.js';
import { newSecret, sha256Hex } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../observability/metrics.service.js';
import type { User } from '../users/user.entity.js';
import { ActiveUsersService } from '../auth/session/active-users.service.js';
import { AccessTokenCache, type AccessGrant } from './access-token.cache.js';
import type { DesktopToken } from './desktop-token.entity.js';
import { DesktopTokensRepository, type NewTokenPair } from './desktop-tokens.repository.js';

const ACCESS_PREFIX = 'fdst';
const REFRESH_PREFIX = 'fdsr';
/** last_used_at is a hint for admins: one write a minute per token is precise enough. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** What a handoff redemption, a refresh and a device-code grant answer (the latter in OAuth's field names). */
export interface IssuedTokens {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: { id: string; email: string; displayName: string };
}

export interface IssueGrant {
  userId: string;
  client: TokenClient;
  /** The handoff this sign-in came from; a handoff yields one token pair at most. */
  handoffId?: string;
  /** The identity provider the user signed in through, so refresh stops when it is disabled. */
  providerId?: string;
}

/**
 * Desktop Studio tokens: opaque access tokens (short) and refresh tokens (sliding), 256 random bits
 * each, stored as SHA-256. Every refresh rotates both; a refresh token presented twice ends its
 * whole family (RFC 9700 §4.14), since one of the two presenters must be a thief.
 */
@Injectable()
export class DesktopTokensService implements DesktopTokenVerifier {
  private readonly logger = new Logger(DesktopTokensService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: DesktopTokensRepository,
    private readonly users: ActiveUsersService,
    private readonly providers: IdentityProviderRegistry,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly accessTokens: AccessTokenCache,
  ) {}

  /** A new family with its first pair. `manager` lets it join the caller's transaction (the redemption's). */
  async issue(grant: IssueGrant, manager?: EntityManager): Promise<IssuedTokens> {
    const user = await this.activeUser(grant.userId);
    const { tokens, pair } = this.newSecrets({ user, client: grant.client, handoffId: grant.handoffId });
    const family = { providerId: grant.providerId, expiresAt: this.refreshExpiry() };
    if (manager) await this.repository.insertFamilyWithPair(manager, family, pair);
    else await this.repository.transaction((tx) => this.repository.insertFamilyWithPair(tx, family, pair));
    return tokens;
  }

  /**
   * A new family with its first pair, written by the caller's own statement for the user its changed
   * row names (a redemption's: the ticket it wins and the tokens in one round trip). The clear tokens
   * are for the answer, once that statement has written them.
   */
  issueAlongside(handoffId: string): { write: ChainedWrite; tokensFor(user: IssuedTokens['user']): IssuedTokens } {
    const expiresIn = this.config.desktop.tokenTtlSeconds;
    const accessToken = newSecret(ACCESS_PREFIX);
    const refreshToken = newSecret(REFRESH_PREFIX);
    const write = this.repository.familyWithPairAlongside(this.refreshExpiry(), {
      handoffId,
      accessHash: sha256Hex(accessToken),
      accessExpiresAt: new Date(Date.now() + expiresIn * 1000),
      refreshHash: sha256Hex(refreshToken),
    });
    const refreshExpiresIn = this.config.desktop.refreshTtlSeconds;
    return { write, tokensFor: (user) => ({ accessToken, tokenType: 'Bearer', expiresIn, refreshToken, refreshExpiresIn, user: { id: user.id, email: user.email, displayName: user.displayName } }) };
  }

  /** Rotates a refresh token into a new pair; see the class comment for what reuse does. */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const row = refreshToken.startsWith(`${REFRESH_PREFIX}_`) ? await this.repository.findRefreshToken(sha256Hex(refreshToken)) : undefined;
    if (!row) return this.refuse('unknown_refresh_token', 'The refresh token is unknown, expired or revoked');
    if (row.usedAt) return this.reuseDetected(row.familyId, row.userId);
    if (row.familyExpiresAt.getTime() <= Date.now()) return this.refuse('refresh_token_expired', 'The refresh token has expired; sign in again', row.userId);
    const user = await this.users.find(row.userId);
    if (!user) return this.refuse('user_inactive', 'The account is deactivated', row.userId);
    if (row.providerId && !(await this.providerEnabled(row.providerId))) {
      return this.refuse('provider_disabled', 'The identity provider of this sign-in is no longer enabled; sign in again', row.userId);
    }

    const rotated = await this.repository.transaction(async (tx) => {
      // The conditional UPDATE decides: of two concurrent refreshes with one token, one wins.
      if (!(await this.repository.markUsed(tx, row.id))) return undefined;
      const expiresAt = this.refreshExpiry();
      await this.repository.rotateFamily(tx, row.familyId, expiresAt);
      return this.newPair(tx, { familyId: row.familyId, user, client: row.client });
    });
    if (!rotated) return this.reuseDetected(row.familyId, row.userId);
    // The family's earlier access token was deleted with the rotation: no instance serves it after this.
    await this.accessTokens.settled();
    this.metrics.refreshes.inc({ outcome: 'refreshed' });
    await this.audit.record({ type: 'token.refreshed', userId: user.id, email: user.email, providerId: row.providerId ?? undefined, details: { client: row.client, familyId: row.familyId } });
    return rotated;
  }

  /**
   * The lookup is by SHA-256 digest through a unique index, so the digest of a guess reveals
   * nothing about a stored token. The user must still be active: deactivation stops tokens at once.
   * Both are served from short-lived caches that every revocation clears on every instance.
   */
  async verify(token: string): Promise<User | undefined> {
    if (!token.startsWith(`${ACCESS_PREFIX}_`)) return undefined;
    const grant = await this.accessTokens.find(sha256Hex(token));
    if (!grant) return undefined;
    const user = await this.users.find(grant.userId);
    if (user && lastUseDue(grant)) {
      // Noted before the write, so the calls right behind this one do not write as well.
      grant.lastUsedAt = Date.now();
      await this.repository.touch(grant.id).catch((error: Error) => this.logger.warn(`last_used_at not written: ${error.message}`));
    }
    return user;
  }

  /**
   * `verify` answered from memory, without a promise, when the token and its user were read in the
   * last few seconds and its last use is not due to be written; undefined otherwise (then ask `verify`).
   */
  verifyCached(token: string): User | undefined {
    if (!token.startsWith(`${ACCESS_PREFIX}_`)) return undefined;
    const grant = this.accessTokens.cached(sha256Hex(token));
    return grant && !lastUseDue(grant) ? this.users.cached(grant.userId) : undefined;
  }

  /** The SHA-256 digest of the token, which the database announces when the token's row changes or goes. */
  revocationKey(token: string): string {
    return sha256Hex(token);
  }

  /*
   * Every revocation below deletes rows and returns once every instance refuses the tokens
   * (AccessTokenCache.settled): the next call anywhere is refused, cached copies included.
   */

  /** The Studio's own sign-out: the access token and the refresh family behind it end. */
  async revoke(token: string, user?: User): Promise<boolean> {
    const revoked = await this.repository.deleteByAccessHash(sha256Hex(token));
    if (revoked) await this.accessTokens.settled();
    if (revoked && user) await this.audit.record({ type: 'logout', userId: user.id, email: user.email, details: { via: 'desktop-token' } });
    return revoked;
  }

  async revokeById(id: string): Promise<{ userId: string } | undefined> {
    const revoked = await this.repository.deleteById(id);
    if (revoked) await this.accessTokens.settled();
    return revoked;
  }

  async revokeAllForUser(userId: string): Promise<number> {
    const revoked = await this.repository.deleteAllForUser(userId);
    if (revoked > 0) await this.accessTokens.settled();
    return revoked;
  }

  listForUser(userId: string): Promise<DesktopToken[]> {
    return this.repository.listForUser(userId);
  }

  private async newPair(tx: EntityManager, pair: { familyId: string; user: User; client: TokenClient; handoffId?: string }): Promise<IssuedTokens> {
    const issued = this.newSecrets(pair);
    await this.repository.insertPair(tx, { ...issued.pair, familyId: pair.familyId });
    return issued.tokens;
  }

  /** A fresh access and refresh token: their clear values for the answer, their digests for the rows. */
  private newSecrets(pair: { user: User; client: TokenClient; handoffId?: string }): { tokens: IssuedTokens; pair: Omit<NewTokenPair, 'familyId'> } {
    const expiresIn = this.config.desktop.tokenTtlSeconds;
    const accessToken = newSecret(ACCESS_PREFIX);
    const refreshToken = newSecret(REFRESH_PREFIX);
    return {
      tokens: {
        accessToken,
        tokenType: 'Bearer',
        expiresIn,
        refreshToken,
        refreshExpiresIn: this.config.desktop.refreshTtlSeconds,
        user: { id: pair.user.id, email: pair.user.email, displayName: pair.user.displayName },
      },
      pair: {
        userId: pair.user.id,
        client: pair.client,
        handoffId: pair.handoffId,
        accessHash: sha256Hex(accessToken),
        accessExpiresAt: new Date(Date.now() + expiresIn * 1000),
        refreshHash: sha256Hex(refreshToken),
      },
    };
  }

  /**
   * Whether the provider still exists and is enabled. A stored provider is re-read from the table,
   * so one disabled through another instance stops refresh here before its change notification arrives.
   */
  private async providerEnabled(providerId: string): Promise<boolean> {
    try {
      await this.providers.refresh(providerId);
      return true;
    } catch (error) {
      if (error instanceof DomainException && error.code === 'unknown_provider') return false;
      throw error;
    }
  }

  private async activeUser(userId: string): Promise<User> {
    const user = await this.users.find(userId);
    if (!user) throw invalidGrant('The account is deactivated');
    return user;
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.desktop.refreshTtlSeconds * 1000);
  }

  private async reuseDetected(familyId: string, userId: string): Promise<never> {
    await this.repository.deleteFamily(familyId);
    await this.accessTokens.settled();
    this.metrics.reuseDetections.inc();
    this.metrics.refreshes.inc({ outcome: 'reuse_detected' });
    this.logger.warn(`refresh token reused: family ${familyId} of user ${userId} ended`);
    await this.audit.record({ type: 'token.reuse_detected', outcome: 'failure', reason: 'refresh_token_reused', userId, details: { familyId } });
    throw invalidGrant('This refresh token was already used; every token of this sign-in is revoked. Sign in again.');
  }

  private async refuse(reason: string, message: string, userId?: string): Promise<never> {
    this.metrics.refreshes.inc({ outcome: 'refused' });
    await this.audit.record({ type: 'token.refreshed', outcome: 'failure', reason, userId });
    throw invalidGrant(message);
  }
}

function invalidGrant(message: string): DomainException {
  return new DomainException('invalid_grant', HttpStatus.BAD_REQUEST, message);
}

/** last_used_at is written at most once a minute per token. */
function lastUseDue(grant: AccessGrant): boolean {
  return grant.lastUsedAt === undefined || Date.now() - grant.lastUsedAt > LAST_USED_GRANULARITY_MS;
}
