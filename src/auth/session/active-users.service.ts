import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { User } from '../../users/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { RevocationListener } from './revocation-listener.js';
import { RevocableCache } from './revocable-cache.js';

const MAX_CACHED_USERS = 10_000;

/**
 * The user behind a session or a desktop token, checked on every guarded request, read from the
 * database at most once per few seconds per user. Any change to a user's row (deactivation, roles)
 * is announced by the database and drops the cached copy on every instance.
 */
@Injectable()
export class ActiveUsersService {
  private readonly cache: RevocableCache<User>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UsersService,
    private readonly listener: RevocationListener,
  ) {
    this.cache = new RevocableCache(listener, 'u', config.session.cacheSeconds * 1000, MAX_CACHED_USERS);
  }

  /** The user if read in the last few seconds (so known to be active), without a query; undefined otherwise. */
  cached(id: string): User | undefined {
    const hit = this.cache.peek(id, () => this.read(id));
    return hit && copy(hit);
  }

  /** The user if it exists and is active; callers get their own copy, never the cached object. */
  async find(id: string): Promise<User | undefined> {
    const user = await this.cache.get(id, () => this.read(id));
    return user && copy(user);
  }

  private async read(id: string): Promise<User | undefined> {
    const user = await this.users.findById(id);
    return user?.active ? user : undefined;
  }

  /** This instance forgets the user at once; the database tells the others. */
  forget(id: string): void {
    this.listener.announce('u', id);
  }

  /**
   * After a committed change of the user's row (roles): forgets it here and returns once every
   * instance has heard the database's announcement, so the user's next request anywhere sees it.
   */
  async changed(id: string): Promise<void> {
    this.forget(id);
    await this.listener.barrier();
  }
}

function copy(user: User): User {
  return Object.assign(Object.create(Object.getPrototypeOf(user) as object) as User, user, { roles: [...user.roles] });
}
