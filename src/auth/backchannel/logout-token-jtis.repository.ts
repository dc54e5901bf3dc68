import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { LogoutTokenJti } from './logout-token-jti.entity.js';

/** Logout-token ids seen, so each token is used once across every instance. */
@Injectable()
export class LogoutTokenJtisRepository {
  constructor(@InjectRepository(LogoutTokenJti) private readonly jtis: Repository<LogoutTokenJti>) {}

  /** True the first time a (provider, jti) is seen; the primary key decides under concurrency. */
  async claim(providerId: string, jti: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.jtis.query(
      `INSERT INTO logout_token_jtis (provider_id, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING jti`,
      [providerId, jti, expiresAt],
    );
    // Old ids go in small batches as new ones arrive; a token that old is refused by its iat anyway.
    await this.jtis.query(
      `DELETE FROM logout_token_jtis WHERE ctid IN (SELECT ctid FROM logout_token_jtis WHERE expires_at < now() LIMIT 100)`,
    );
    return (rows as unknown[]).length > 0;
  }
}
