import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, QueryFailedError, Repository, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { DomainException } from '../common/domain.exception.js';
import { chain, type ChainedWrite } from '../database/chained-write.js';
import { preparedQuery } from '../database/prepared-query.js';
import { LinkedIdentity } from './linked-identity.entity.js';
import { checkEmail, EMAIL, newUserFields, userOfRow, type UserRow } from './user-fields.js';
import { User, type Role } from './user.entity.js';

/** An account at a provider, as (provider, issuer, subject). */
export interface IdentityKey {
  providerId: string;
  issuer: string;
  subject: string;
}

/** What linking an identity to a user did. */
export type LinkResult = 'linked' | 'already-linked' | 'taken';

export interface NewUser {
  email: string;
  displayName?: string;
  roles?: Role[];
  /** The identity provider whose directory (SCIM) creates the user. */
  provisionedBy?: string;
}

export interface UserChanges {
  email?: string;
  displayName?: string;
  roles?: Role[];
  active?: boolean;
}

export const USER_SORTS = ['name', 'email', 'created'] as const;
export type UserSort = (typeof USER_SORTS)[number];
/** The most users one page holds, whatever is asked. */
export const USER_PAGE_MAX = 100;
const USER_SORT_COLUMNS: Record<UserSort, string> = { name: 'LOWER(u.display_name)', email: 'u.email', created: 'u.created_at' };

export interface UserPageQuery {
  search?: string;
  sort: UserSort;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

const UNIQUE_VIOLATION = '23505';
/** Advisory lock key that serialises changes which could remove the last admin. */
const ADMIN_CHANGES_LOCK = 7_640_800_001;

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(LinkedIdentity) private readonly identities: Repository<LinkedIdentity>,
  ) {}

  /** The identity (provider, issuer, subject) with its user, if it is linked. */
  findIdentity(key: IdentityKey): Promise<LinkedIdentity | null> {
    return this.identities.findOne({ where: { providerId: key.providerId, issuer: key.issuer, subject: key.subject }, relations: { user: true } });
  }

  /**
   * Links an identity to a user, keeping the claims of the login that linked it (null: none known yet). The unique
   * indexes decide races: the same identity linked meanwhile to this user is fine; to another user,
   * or another subject of the same provider on this user, it is `taken`.
   */
  async linkIdentity(userId: string, key: IdentityKey, claims: Record<string, unknown> | null): Promise<LinkResult> {
    try {
      await this.identities.insert(identityRow({ userId, ...key }, claims));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const same = await this.identities.existsBy({ ...key, userId });
      return same ? 'already-linked' : 'taken';
    }
    this.logger.log(`Linked ${key.providerId} subject to user ${userId}`);
    return 'linked';
  }

  /** Keeps the claims of an identity's latest login (what role rules read between logins). */
  async rememberClaims(identityId: string, claims: Record<string, unknown>): Promise<void> {
    await this.identities.update({ id: identityId }, identityRow({}, claims));
  }

  /** The claims an identity of the user (at this provider, or at any) last signed in with, if any. */
  async lastClaims(userId: string, providerId?: string): Promise<Record<string, unknown> | undefined> {
    const identity = await this.identities.findOne({ where: { userId, ...(providerId ? { providerId } : {}) }, order: { claimsAt: { direction: 'DESC', nulls: 'LAST' } } });
    return identity?.claims ?? undefined;
  }

  /** Removes one identity of a user; false when the user has no such identity. */
  async unlinkIdentity(userId: string, identityId: string): Promise<LinkedIdentity | null> {
    const identity = await this.identities.findOneBy({ id: identityId, userId });
    if (!identity) return null;
    await this.identities.delete({ id: identityId, userId });
    return identity;
  }

  /**
   * A user created by their first login (just-in-time), linked in the same transaction: a user is
   * never left behind without the identity that created it. Null when the email was taken meanwhile.
   */
  async createLinked(input: NewUser, key: IdentityKey, claims: Record<string, unknown>): Promise<User | null> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email)) return null;
    try {
      return await this.users.manager.transaction(async (manager) => {
        const user = await manager.getRepository(User).save(
          manager.getRepository(User).create({ email, displayName: input.displayName?.trim().slice(0, 200) || email.split('@')[0], roles: [...new Set<Role>(input.roles ?? [])], active: true }),
        );
        await manager.getRepository(LinkedIdentity).insert(identityRow({ userId: user.id, ...key }, claims));
        return user;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /** The user a provider's subject is linked to, if any (back-channel logout names users this way). */
  async findByIdentity(identity: { providerId: string; issuer: string; subject: string }): Promise<User | null> {
    const linked = await this.identities.findOne({ where: identity, relations: { user: true } });
    return linked?.user ?? null;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: email.trim().toLowerCase() });
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByIds(ids: string[]): Promise<User[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.users.findBy({ id: In(ids) });
  }

  /** The user with this email and their break-glass password hash, which is otherwise never loaded. */
  findWithBreakGlassHash(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.breakGlassPasswordHash')
      .where('u.email = :email', { email: email.trim().toLowerCase() })
      .getOne();
  }

  async setBreakGlassPasswordHash(userId: string, hash: string): Promise<void> {
    await this.users.update({ id: userId }, { breakGlassPasswordHash: hash });
  }

  /** Notes that the user's sessions were ended by an admin: the next sign-in must be a fresh authentication. */
  async markSessionsRevoked(userId: string, at = new Date()): Promise<void> {
    await this.users.update({ id: userId }, { sessionsRevokedAt: at });
  }

  /** Whether some active admin can still sign in with a break-glass password. */
  hasBreakGlassAdmin(): Promise<boolean> {
    return this.users
      .createQueryBuilder('u')
      .where('u.active')
      .andWhere(`'admin' = ANY(u.roles)`)
      .andWhere('u.break_glass_password_hash IS NOT NULL')
      .getExists();
  }

  /** All users, or those whose email or name contains `search` (any case). */
  list(filter: { search?: string } = {}): Promise<User[]> {
    return this.matching(filter.search).orderBy('u.created_at', 'ASC').getMany();
  }

  /**
   * One page of the users matching `search`, in the order asked (ties broken by id, so pages never
   * overlap), and how many match in all. `limit` is capped at USER_PAGE_MAX.
   */
  async page(query: UserPageQuery): Promise<{ users: User[]; total: number }> {
    const [column, direction] = [USER_SORT_COLUMNS[query.sort], query.order === 'desc' ? 'DESC' : 'ASC'] as const;
    const [users, total] = await this.matching(query.search)
      .orderBy(column, direction)
      .addOrderBy('u.id', direction)
      .offset(Math.max(0, query.offset))
      .limit(Math.min(Math.max(1, query.limit), USER_PAGE_MAX))
      .getManyAndCount();
    return { users, total };
  }

  private matching(search?: string): SelectQueryBuilder<User> {
    const query = this.users.createQueryBuilder('u');
    const trimmed = search?.trim().slice(0, 200);
    if (trimmed) {
      const pattern = `%${trimmed.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.where('(u.email ILIKE :pattern OR u.display_name ILIKE :pattern)', { pattern });
    }
    return query;
  }

  /** Active users who have never signed in through any provider. */
  countActiveWithoutIdentity(): Promise<number> {
    return this.users
      .createQueryBuilder('u')
      .where('u.active')
      .andWhere('NOT EXISTS (SELECT 1 FROM linked_identities i WHERE i.user_id = u.id)')
      .getCount();
  }

  identitiesOf(userId: string): Promise<LinkedIdentity[]> {
    return this.identities.find({ where: { userId }, order: { linkedAt: 'ASC' } });
  }

  async get(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new DomainException('user_not_found', HttpStatus.NOT_FOUND, `No user with id ${id}`);
    return user;
  }

  /** `tx`: the caller's transaction, when the new user is one part of a larger change (SCIM). */
  async create(input: NewUser, tx?: EntityManager): Promise<User> {
    const fields = newUserFields(input);
    const users = tx ? tx.getRepository(User) : this.users;
    try {
      // Inside the caller's transaction a refusal aborts it: the caller answers with the refusal.
      return await users.save(users.create(fields));
    } catch (error) {
      if (isUniqueViolation(error)) throw userExists(fields.email);
      throw error;
    }
  }

  /**
   * A new active user as one statement with the writes chained to it (see ChainedWrite), e.g. a SCIM
   * record and its audit event: all commit together or not at all, in one round trip.
   */
  async createAlongside(input: NewUser, chained: ChainedWrite[]): Promise<User> {
    const fields = newUserFields(input);
    const params: unknown[] = [fields.email, fields.displayName, fields.roles, fields.provisionedBy];
    try {
      const rows = await preparedQuery<UserRow>(
        this.users.manager.connection,
        `WITH created AS (
           INSERT INTO users (email, display_name, roles, active, provisioned_by) VALUES ($1, $2, $3, true, $4)
           RETURNING id, email, display_name, roles, active, sessions_revoked_at, provisioned_by, created_at, updated_at
         )${chain(chained, 'created', params)}
         SELECT * FROM created`,
        params,
      );
      return userOfRow(rows[0]);
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw userExists(fields.email);
      throw error;
    }
  }

  /**
   * Changes a user. The environment must keep one active admin: a change that would leave none is
   * refused with 409. Changes that touch admins run one at a time (a transaction-scoped advisory
   * lock), so two admins demoting each other at the same moment cannot both win. `tx`: the caller's
   * transaction, when this change is one part of a larger one that must apply whole or not at all.
   */
  async update(id: string, changes: UserChanges, tx?: EntityManager): Promise<User> {
    const email = changes.email === undefined ? undefined : checkEmail(changes.email);
    return (tx ?? this.users.manager).transaction(async (manager) => {
      // Bounded: a change waits at most a few seconds for another admin change to finish.
      await manager.query(`SET LOCAL lock_timeout = '5s'`);
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_CHANGES_LOCK]);
      const repository = manager.getRepository(User);
      const user = await repository.findOneBy({ id });
      if (!user) throw new DomainException('user_not_found', HttpStatus.NOT_FOUND, `No user with id ${id}`);
      const wasActiveAdmin = isActiveAdmin(user);
      if (email !== undefined) user.email = email;
      if (changes.displayName !== undefined) user.displayName = changes.displayName.trim();
      if (changes.roles !== undefined) user.roles = [...new Set(changes.roles)];
      if (changes.active !== undefined) user.active = changes.active;
      // A deactivated user who is let in again must still authenticate afresh at the provider.
      if (changes.active === false) user.sessionsRevokedAt = new Date();
      if (wasActiveAdmin && !isActiveAdmin(user)) {
        const others = await repository.createQueryBuilder('u').where('u.active').andWhere(`'admin' = ANY(u.roles)`).andWhere('u.id <> :id', { id }).getCount();
        if (others === 0) {
          throw new DomainException('last_admin', HttpStatus.CONFLICT, `${user.email} is the last active admin of this environment and cannot be ${changes.active === false ? 'deactivated' : 'demoted'}. Give another user the admin role first.`, {
            title: 'The last admin must stay',
          });
        }
      }
      try {
        return await repository.save(user);
      } catch (error) {
        if (isUniqueViolation(error)) throw userExists(email);
        throw error;
      }
    });
  }
}

function userExists(email: string | undefined): DomainException {
  return new DomainException('user_exists', HttpStatus.CONFLICT, `A user with email ${email} already exists`);
}

/**
 * A user whose directory created them (SCIM) links only to an identity of that same provider: the
 * directory vouches for the person at that provider, not for whoever shows the same email elsewhere.
 */
export function mayLinkThrough(user: Pick<User, 'provisionedBy'>, providerId: string): boolean {
  return !user.provisionedBy || user.provisionedBy === providerId;
}

/** A linked identity's columns with the claims of its latest login (jsonb). */
function identityRow(columns: Partial<LinkedIdentity>, claims: Record<string, unknown> | null): QueryDeepPartialEntity<LinkedIdentity> {
  return { ...columns, claims: claims as QueryDeepPartialEntity<LinkedIdentity>['claims'], claimsAt: claims ? new Date() : null } as QueryDeepPartialEntity<LinkedIdentity>;
}

function isActiveAdmin(user: User): boolean {
  return user.active && user.roles.includes('admin');
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION;
}
