import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository, type SelectQueryBuilder } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { LinkedIdentity } from './linked-identity.entity.js';
import { User, type Role } from './user.entity.js';

/** What an identity provider said about the person signing in, after its token was verified. */
export interface ExternalIdentity {
  providerId: string;
  issuer: string;
  subject: string;
  /** The value of the claim this provider matches platform users on (email or preferred_username). */
  matchValue?: string;
  /** The provider says outright that the email is not verified: it cannot bridge to a user. */
  unverifiedEmail?: boolean;
}

export type LoginResolution =
  | { ok: true; user: User; linked: boolean }
  | { ok: false; reason: 'not-registered' | 'inactive' | 'email-unverified' | 'subject-conflict' };

export interface NewUser {
  email: string;
  displayName?: string;
  roles?: Role[];
}

export interface UserChanges {
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
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(LinkedIdentity) private readonly identities: Repository<LinkedIdentity>,
  ) {}

  /**
   * The login rule. A linked identity (provider, issuer, subject) decides first. Otherwise the
   * matching claim bridges to a user once, and links the identity, unless that user is already
   * linked to another subject of the same provider: a second account showing the same email
   * must not take the user over. Nothing is written when the login is refused.
   */
  async resolveLogin(identity: ExternalIdentity): Promise<LoginResolution> {
    const linked = await this.identities.findOne({
      where: { providerId: identity.providerId, issuer: identity.issuer, subject: identity.subject },
      relations: { user: true },
    });
    if (linked) return linked.user.active ? { ok: true, user: linked.user, linked: false } : { ok: false, reason: 'inactive' };

    if (identity.unverifiedEmail) return { ok: false, reason: 'email-unverified' };
    if (!identity.matchValue) return { ok: false, reason: 'not-registered' };
    const user = await this.findByEmail(identity.matchValue);
    if (!user) return { ok: false, reason: 'not-registered' };
    if (!user.active) return { ok: false, reason: 'inactive' };

    try {
      await this.identities.insert({ userId: user.id, providerId: identity.providerId, issuer: identity.issuer, subject: identity.subject });
    } catch (error) {
      if (isUniqueViolation(error)) return this.resolveLinkConflict(identity, user);
      throw error;
    }
    this.logger.log(`Linked ${identity.providerId} subject to user ${user.id}`);
    return { ok: true, user, linked: true };
  }

  /** Either a concurrent login linked the same subject first (fine), or the user has another subject. */
  private async resolveLinkConflict(identity: ExternalIdentity, user: User): Promise<LoginResolution> {
    const same = await this.identities.existsBy({ providerId: identity.providerId, issuer: identity.issuer, subject: identity.subject, userId: user.id });
    return same ? { ok: true, user, linked: false } : { ok: false, reason: 'subject-conflict' };
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

  identitiesOf(userId: string): Promise<LinkedIdentity[]> {
    return this.identities.find({ where: { userId }, order: { linkedAt: 'ASC' } });
  }

  async get(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new DomainException('user_not_found', HttpStatus.NOT_FOUND, `No user with id ${id}`);
    return user;
  }

  async create(input: NewUser): Promise<User> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email)) throw new DomainException('invalid_email', HttpStatus.BAD_REQUEST, `"${input.email}" is not an email address`);
    const user = this.users.create({
      email,
      displayName: input.displayName?.trim() || email.split('@')[0],
      roles: [...new Set<Role>(input.roles ?? ['developer'])],
      active: true,
    });
    try {
      return await this.users.save(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainException('user_exists', HttpStatus.CONFLICT, `A user with email ${email} already exists`);
      throw error;
    }
  }

  /**
   * Changes a user. The environment must keep one active admin: a change that would leave none is
   * refused with 409. Changes that touch admins run one at a time (a transaction-scoped advisory
   * lock), so two admins demoting each other at the same moment cannot both win.
   */
  async update(id: string, changes: UserChanges): Promise<User> {
    return this.users.manager.transaction(async (manager) => {
      // Bounded: a change waits at most a few seconds for another admin change to finish.
      await manager.query(`SET LOCAL lock_timeout = '5s'`);
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_CHANGES_LOCK]);
      const repository = manager.getRepository(User);
      const user = await repository.findOneBy({ id });
      if (!user) throw new DomainException('user_not_found', HttpStatus.NOT_FOUND, `No user with id ${id}`);
      const wasActiveAdmin = isActiveAdmin(user);
      if (changes.displayName !== undefined) user.displayName = changes.displayName.trim();
      if (changes.roles !== undefined) user.roles = [...new Set(changes.roles)];
      if (changes.active !== undefined) user.active = changes.active;
      if (wasActiveAdmin && !isActiveAdmin(user)) {
        const others = await repository.createQueryBuilder('u').where('u.active').andWhere(`'admin' = ANY(u.roles)`).andWhere('u.id <> :id', { id }).getCount();
        if (others === 0) {
          throw new DomainException('last_admin', HttpStatus.CONFLICT, `${user.email} is the last active admin of this environment and cannot be ${changes.active === false ? 'deactivated' : 'demoted'}. Give another user the admin role first.`, {
            title: 'The last admin must stay',
          });
        }
      }
      return repository.save(user);
    });
  }
}

function isActiveAdmin(user: User): boolean {
  return user.active && user.roles.includes('admin');
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION;
}
