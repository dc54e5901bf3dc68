import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { TokenClient } from '../desktop-handoff/studio-clients.js';
import { DeviceAuthorization, type DeviceAuthorizationStatus } from './device-authorization.entity.js';

/** What one poll of the token endpoint found, after it was counted. */
export interface PolledAuthorization {
  id: string;
  client: TokenClient;
  status: DeviceAuthorizationStatus;
  userId: string | null;
  expired: boolean;
  /** Polled again before `interval` seconds had passed; the interval has grown by 5 seconds. */
  tooFast: boolean;
}

/** Slack for the arrival time of a poll sent exactly `interval` seconds after the last answer. */
const POLL_SLACK_SECONDS = 0.25;
const KEEP_AFTER_EXPIRY = '1 day';

/** The queries of device authorizations, and nothing else. */
@Injectable()
export class DeviceAuthorizationRepository {
  constructor(@InjectRepository(DeviceAuthorization) private readonly rows: Repository<DeviceAuthorization>) {}

  async insert(row: Pick<DeviceAuthorization, 'client' | 'scope' | 'deviceCodeHash' | 'userCodeHash' | 'requesterIp' | 'requesterAgent' | 'intervalSeconds' | 'expiresAt'>): Promise<string> {
    const { identifiers } = await this.rows.insert({ ...row, status: 'pending' });
    return String(identifiers[0].id);
  }

  findByUserCodeHash(userCodeHash: string): Promise<DeviceAuthorization | null> {
    return this.rows.findOne({ where: { userCodeHash } });
  }

  /**
   * Counts a poll and tells whether it came too early, in one statement: two instances answering
   * the same client cannot both let a too-fast poll through. Only the client the code was issued to may poll.
   */
  async poll(deviceCodeHash: string, client: string): Promise<PolledAuthorization | undefined> {
    const rows = (await this.rows.query(
      `WITH previous AS (
         SELECT id, last_polled_at IS NOT NULL AND last_polled_at > now() - make_interval(secs => interval_seconds - ${POLL_SLACK_SECONDS}) AS too_fast
         FROM device_authorizations WHERE device_code_hash = $1 AND client = $2 FOR UPDATE)
       UPDATE device_authorizations d
          SET last_polled_at = now(),
              interval_seconds = CASE WHEN previous.too_fast THEN d.interval_seconds + 5 ELSE d.interval_seconds END
         FROM previous WHERE d.id = previous.id
       RETURNING d.id, d.client, d.status, d.user_id, d.expires_at <= now() AS expired, previous.too_fast`,
      [deviceCodeHash, client],
    )) as [{ id: string; client: TokenClient; status: DeviceAuthorizationStatus; user_id: string | null; expired: boolean; too_fast: boolean }[], number];
    const row = rows[0][0];
    return row && { id: row.id, client: row.client, status: row.status, userId: row.user_id, expired: row.expired, tooFast: row.too_fast };
  }

  /** The person's decision, once: only a pending, unexpired authorization changes. */
  async decide(userCodeHash: string, decision: { status: 'authorized' | 'denied'; userId: string; providerId?: string }): Promise<DeviceAuthorization | undefined> {
    const result = await this.rows
      .createQueryBuilder()
      .update(DeviceAuthorization)
      .set({ status: decision.status, userId: decision.userId, providerId: decision.providerId ?? null, decidedAt: () => 'now()' })
      .where("user_code_hash = :userCodeHash AND status = 'pending' AND expires_at > now()", { userCodeHash })
      .returning('id, client')
      .execute();
    const row = (result.raw as { id: string; client: TokenClient }[])[0];
    return row && Object.assign(new DeviceAuthorization(), row);
  }

  /**
   * Redeemed by one conditional UPDATE (status, expiry and an active user in the WHERE), so two
   * concurrent polls cannot both receive a token.
   */
  async redeem(manager: EntityManager, id: string): Promise<{ userId: string; client: TokenClient; providerId: string | null } | undefined> {
    const result = await manager
      .createQueryBuilder()
      .update(DeviceAuthorization)
      .set({ status: 'redeemed', redeemedAt: () => 'now()' })
      .where("id = :id AND status = 'authorized' AND expires_at > now()", { id })
      .andWhere('user_id IN (SELECT id FROM users WHERE active)')
      .returning('user_id, client, provider_id')
      .execute();
    const row = (result.raw as { user_id: string; client: TokenClient; provider_id: string | null }[])[0];
    return row && { userId: row.user_id, client: row.client, providerId: row.provider_id };
  }

  /** A bounded batch of long-expired rows; run as new ones are made (there is no scheduler). */
  async pruneExpired(): Promise<void> {
    await this.rows.query(
      `DELETE FROM device_authorizations WHERE id IN (
         SELECT id FROM device_authorizations WHERE expires_at < now() - interval '${KEEP_AFTER_EXPIRY}' LIMIT 100 FOR UPDATE SKIP LOCKED)`,
    );
  }
}
