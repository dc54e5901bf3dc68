import { Inject, Injectable } from '@nestjs/common';
import { RevocationListener } from '../auth/session/revocation-listener.js';
import { RevocableCache } from '../auth/session/revocable-cache.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DesktopTokensRepository } from './desktop-tokens.repository.js';

const MAX_CACHED_TOKENS = 10_000;

/** What a bearer call needs to know about its access token; the user is checked apart (ActiveUsersService). */
export interface AccessGrant {
  id: string;
  userId: string;
  expiresAt: number;
  /** When last_used_at was last written (ms), as far as this instance knows. */
  lastUsedAt: number | undefined;
}

/**
 * Unexpired access tokens seen in the last few seconds, by SHA-256 digest, so a busy Studio's calls
 * do not each cost a query. The database announces every deleted or changed `desktop_tokens` row
 * (whichever path deleted it: logout, admin revoke, a family ended by refresh-token reuse, a user's
 * tokens ended by back-channel logout, a cascade from the family or the user), and every instance
 * drops its copy; `settled()` lets a revoking request answer only once that has gone round.
 */
@Injectable()
export class AccessTokenCache {
  private readonly cache: RevocableCache<AccessGrant>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repository: DesktopTokensRepository,
    private readonly listener: RevocationListener,
  ) {
    this.cache = new RevocableCache(listener, 't', config.session.cacheSeconds * 1000, MAX_CACHED_TOKENS);
  }

  /** The unexpired grant cached for `hash`, without a query or a promise. */
  cached(hash: string): AccessGrant | undefined {
    return unexpired(this.cache.peek(hash, () => this.read(hash)));
  }

  async find(hash: string): Promise<AccessGrant | undefined> {
    return unexpired(await this.cache.get(hash, () => this.read(hash)));
  }

  private async read(hash: string): Promise<AccessGrant | undefined> {
    const row = await this.repository.findUnexpiredAccessToken(hash);
    return row ? { id: row.id, userId: row.userId, expiresAt: row.expiresAt.getTime(), lastUsedAt: row.lastUsedAt?.getTime() } : undefined;
  }

  /**
   * Returns once every instance has dropped the tokens a revocation just deleted: the database
   * announced each row at commit, and this waits for this instance's own echo behind them.
   */
  settled(): Promise<void> {
    return this.listener.barrier();
  }
}

function unexpired(grant: AccessGrant | undefined): AccessGrant | undefined {
  return grant && grant.expiresAt > Date.now() ? grant : undefined;
}
