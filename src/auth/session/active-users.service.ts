import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { User } from '../../users/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { RevocationListener } from './revocation-listener.js';
import { SharedLoads } from './shared-loads.js';
import type { TtlCache } from './ttl-cache.js';

const MAX_CACHED_USERS = 10_000;

/**
 * The user behind a session or a desktop token, checked on every guarded request, read from the
 * database at most once per few seconds per user. Any change to a user's row (deactivation, roles)
 * is announced by the database and drops the cached copy on every instance.
 */
@Injectable()
export class ActiveUsersService {
  private readonly entries: TtlCache<User>;
  private readonly loads: SharedLoads<User | undefined>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UsersService,
    private readonly listener: RevocationListener,
  ) {
    this.entries = listener.cache('u', config.session.cacheSeconds * 1000, MAX_CACHED_USERS);
    this.loads = new SharedLoads(listener);
  }

  /**
   * The user if read in the last few seconds (so known to be active), without a query; undefined
   * otherwise. An entry about to run out is read again in the background meanwhile.
   */
  cached(id: string): User | undefined {
    const hit = this.fresh(id);
    return hit && copy(hit);
  }

  /** The user if it exists and is active; callers get their own copy, never the cached object. */
  async find(id: string): Promise<User | undefined> {
    const hit = this.fresh(id) ?? (await this.loads.run(id, (mark) => this.load(id, mark)));
    return hit && copy(hit);
  }

  private fresh(id: string): User | undefined {
    const hit = this.entries.get(id);
    if (hit && this.entries.endingSoon(id)) this.loads.refresh(id, (mark) => this.load(id, mark));
    return hit;
  }

  private async load(id: string, mark: number | undefined): Promise<User | undefined> {
    const user = await this.users.findById(id);
    if (!user?.active) {
      this.entries.delete(id);
      return undefined;
    }
    if (this.listener.unchanged(mark)) this.entries.set(id, user);
    return user;
  }

  /** This instance forgets the user at once; the database tells the others. */
  forget(id: string): void {
    this.listener.announce('u', id);
  }
}

function copy(user: User): User {
  return Object.assign(Object.create(Object.getPrototypeOf(user) as object) as User, user, { roles: [...user.roles] });
}
