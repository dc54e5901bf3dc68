import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { newSecret, sha256Hex } from '../common/secrets.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ApiToken } from './api-token.entity.js';

@Injectable()
export class ApiTokensService {
  constructor(
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    private readonly users: UsersService,
  ) {}

  /** Issues an admin API token; the clear value is returned once and never stored. */
  async create(email: string): Promise<{ token: string; user: User }> {
    const user = await this.users.findByEmail(email);
    if (!user) throw new DomainException('user_not_found', HttpStatus.NOT_FOUND, `No user with email ${email}`);
    if (!user.active) throw new DomainException('user_inactive', HttpStatus.CONFLICT, `User ${email} is deactivated`);
    if (!user.roles.includes('admin')) throw new DomainException('not_admin', HttpStatus.CONFLICT, `User ${email} is not an admin`);
    const token = newSecret('fdat');
    await this.tokens.insert({ userId: user.id, tokenHash: sha256Hex(token) });
    return { token, user };
  }

  /**
   * The active user behind a token. The lookup is by SHA-256 digest through a unique index:
   * the digest of a guess reveals nothing about a stored token, so no timing comparison is exposed.
   */
  async authenticate(token: string): Promise<User | undefined> {
    // One joined query (findOne with relations would add a second, pagination query).
    const row = await this.tokens
      .createQueryBuilder('token')
      .innerJoinAndSelect('token.user', 'user')
      .where('token.token_hash = :hash AND user.active', { hash: sha256Hex(token) })
      .getOne();
    if (row && (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS)) {
      // At most one write a minute per token: enough for "last used", cheap for a busy script.
      await this.tokens.update({ id: row.id }, { lastUsedAt: () => 'now()' });
    }
    return row?.user;
  }
}

const LAST_USED_GRANULARITY_MS = 60_000;
