import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
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

const UNIQUE_VIOLATION = '23505';
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

  list(): Promise<User[]> {
    return this.users.find({ order: { createdAt: 'ASC' } });
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

  async update(id: string, changes: { displayName?: string; roles?: Role[]; active?: boolean }): Promise<User> {
    const user = await this.get(id);
    if (changes.displayName !== undefined) user.displayName = changes.displayName.trim();
    if (changes.roles !== undefined) user.roles = [...new Set(changes.roles)];
    if (changes.active !== undefined) user.active = changes.active;
    return this.users.save(user);
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION;
}
