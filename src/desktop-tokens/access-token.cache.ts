import { Inject, Injectable } from '@nestjs/common';
import { RevocationListener } from '../auth/session/revocation-listener.js';
import { SharedLoads } from '../auth/session/shared-loads.js';
import type { TtlCache } from '../auth/session/ttl-cache.js';
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
  private readonly entries: TtlCache<AccessGrant>;
  private readonly loads: SharedLoads<AccessGrant | undefined>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repository: DesktopTokensRepository,
    private readonly listener: RevocationListener,
  ) {
    this.entries = listener.cache('t', config.session.cacheSeconds * 1000, MAX_CACHED_TOKENS);
    this.loads = new SharedLoads(listener);
  }

  /** The unexpired grant cached for `hash`, without a query; one about to run out is read again in the background meanwhile. */
  cached(hash: string): AccessGrant | undefined {
    const grant = this.entries.get(hash);
    if (!grant || grant.expiresAt <= Date.now()) return undefined;
    if (this.entries.endingSoon(hash)) this.loads.refresh(hash, (mark) => this.load(hash, mark));
    return grant;
  }

  /** Concurrent calls with one token that miss the cache share one query (see SharedLoads). */
  async find(hash: string): Promise<AccessGrant | undefined> {
    return this.cached(hash) ?? this.unexpired(await this.loads.run(hash, (mark) => this.load(hash, mark)));
  }

  private unexpired(grant: AccessGrant | undefined): AccessGrant | undefined {
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }

  private async load(hash: string, mark: number | undefined): Promise<AccessGrant | undefined> {
    const row = await this.repository.findUnexpiredAccessToken(hash);
    if (!row) {
      this.entries.delete(hash);
      return undefined;
    }
    const grant: AccessGrant = { id: row.id, userId: row.userId, expiresAt: row.expiresAt.getTime(), lastUsedAt: row.lastUsedAt?.getTime() };
    // Not cached if a revocation was announced while the row was being read: it may be gone already.
    if (this.listener.unchanged(mark)) this.entries.set(hash, grant);
    return grant;
  }

  /**
   * Returns once every instance has dropped the tokens a revocation just deleted: the database
   * announced each row at commit, and this waits for this instance's own echo behind them.
   */
  settled(): Promise<void> {
    return this.listener.barrier();
  }
}
