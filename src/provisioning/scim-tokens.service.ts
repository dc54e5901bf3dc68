import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { RevocableCache } from '../auth/session/revocable-cache.js';
import { RevocationListener } from '../auth/session/revocation-listener.js';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { newSecret, sameDigest, sha256Hex } from '../common/secrets.js';
import { IdentityProvidersService } from '../identity-providers/identity-providers.service.js';
import { ScimToken } from './scim-token.entity.js';

const TOKEN_PREFIX = 'fdscim';
const LAST_USED_GRANULARITY_MS = 60_000;
const MAX_CACHED_TOKENS = 1_000;

export interface ScimTokenView {
  id: string;
  name: string;
  providerId: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** SCIM tokens: one or more per identity provider, each usable only under /scim/v2 on that provider's users and groups. */
@Injectable()
export class ScimTokensService {
  private readonly logger = new Logger(ScimTokensService.name);
  /** Tokens by digest for a few seconds, dropped on every instance when one is revoked (a database trigger announces it). */
  private readonly cache: RevocableCache<ScimToken>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectRepository(ScimToken) private readonly tokens: Repository<ScimToken>,
    private readonly providers: IdentityProvidersService,
    private readonly listener: RevocationListener,
    private readonly audit: AuditService,
  ) {
    this.cache = new RevocableCache(listener, 't', config.session.cacheSeconds * 1000, MAX_CACHED_TOKENS);
  }

  /** Issues a token; its clear value is in this answer only and never stored. */
  async create(input: { providerId?: unknown; name?: unknown }, actorId: string): Promise<ScimTokenView & { token: string }> {
    const problems: string[] = [];
    if (typeof input.providerId !== 'string' || input.providerId.trim() === '') problems.push('providerId must name an identity provider');
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length < 1 || name.length > 100) problems.push('name must be 1 to 100 characters (it names the directory in the audit trail)');
    // The audit trail names a token's actions by its name where it names a person's by their email: never mistake one for the other.
    if (name.includes('@')) problems.push('name must not contain "@": the audit trail would take it for a person\'s email');
    if (problems.length > 0) throw new DomainException('invalid_request', HttpStatus.BAD_REQUEST, 'The SCIM token request is not valid.', { details: problems });
    const provider = await this.providers.get(String(input.providerId).trim());
    const token = newSecret(TOKEN_PREFIX);
    const row = await this.tokens.save(this.tokens.create({ providerId: provider.id, name, tokenHash: sha256Hex(token), createdBy: actorId }));
    await this.audit.record({ type: 'admin.scim_token.created', actorId, providerId: provider.id, details: { scimTokenId: row.id, name } });
    this.logger.log(`SCIM token ${row.id} created for provider ${provider.id}`);
    return { ...view(row), token };
  }

  async list(providerId?: string): Promise<ScimTokenView[]> {
    const rows = await this.tokens.find({ where: providerId ? { providerId } : {}, order: { createdAt: 'ASC' } });
    return rows.map(view);
  }

  /** Revoked on every instance before this returns: the directory's next request is refused wherever it lands. */
  async revoke(id: string, actorId: string): Promise<void> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await this.tokens.createQueryBuilder('t').addSelect('t.tokenHash').where('t.id = :id', { id }).getOne() : null;
    if (!row) throw new DomainException('scim_token_not_found', HttpStatus.NOT_FOUND, `No SCIM token with id ${id}`);
    await this.tokens.delete({ id });
    this.listener.announce('t', row.tokenHash);
    await this.listener.barrier();
    await this.audit.record({ type: 'admin.scim_token.revoked', actorId, providerId: row.providerId, details: { scimTokenId: row.id, name: row.name } });
    this.logger.log(`SCIM token ${row.id} of provider ${row.providerId} revoked`);
  }

  /**
   * The token row behind a bearer value. Found by its SHA-256 through a unique index, then the
   * digests compared in constant time: a guess's digest says nothing about a stored token.
   */
  async authenticate(token: string): Promise<ScimToken | undefined> {
    if (!token.startsWith(`${TOKEN_PREFIX}_`)) return undefined;
    const hash = sha256Hex(token);
    const row = await this.cache.get(hash, async () => (await this.tokens.createQueryBuilder('t').addSelect('t.tokenHash').where('t.token_hash = :hash', { hash }).getOne()) ?? undefined);
    if (!row || !sameDigest(row.tokenHash, hash)) return undefined;
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      // At most one write a minute per token: enough for "last used", cheap for a sync cycle.
      await this.tokens.update({ id: row.id }, { lastUsedAt: () => 'now()' });
      row.lastUsedAt = new Date();
    }
    return row;
  }
}

function view(row: ScimToken): ScimTokenView {
  return { id: row.id, name: row.name, providerId: row.providerId, createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt?.toISOString() ?? null };
}
