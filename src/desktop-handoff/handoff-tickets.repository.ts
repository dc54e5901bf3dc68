import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { chain, type ChainedWrite } from '../database/chained-write.js';
import { preparedQuery } from '../database/prepared-query.js';
import type { HandoffDeniedReason, HandoffTicket } from './handoff-ticket.entity.js';
import type { StudioClient } from './studio-clients.js';

/** A ticket as read, with whether its user (if bound) is still active. */
export type TicketView = Omit<HandoffTicket, 'user'> & { userActive: boolean | null };

/** Which open tickets a denial may close. */
export type DenialCondition = { pending: true } | { open: true } | { pendingOrClaimedBy: string };

interface TicketRow {
  id: string;
  client: StudioClient;
  redirect_uri: string;
  code_challenge: string;
  status: HandoffTicket['status'];
  denied_reason: HandoffDeniedReason | null;
  user_id: string | null;
  code_hash: string | null;
  code_expires_at: Date | null;
  expires_at: Date;
  created_at: Date;
  authenticated_at: Date | null;
  redeemed_at: Date | null;
  provider_id: string | null;
  user_active: boolean | null;
}

/**
 * Queries on handoff tickets; no rules. Every state change is one statement that also runs the
 * writes chained to it (its audit event, a redemption's tokens), so a step of a handoff costs one
 * round trip and one commit. Its conditions are in the statement's WHERE: of concurrent changes
 * to one ticket, the row lock lets one win and the others find it changed.
 */
@Injectable()
export class HandoffTicketsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(id: string): Promise<TicketView | undefined> {
    const rows = await preparedQuery<TicketRow>(
      this.dataSource,
      `SELECT t.id, t.client, t.redirect_uri, t.code_challenge, t.status, t.denied_reason, t.user_id, t.code_hash, t.code_expires_at,
              t.expires_at, t.created_at, t.authenticated_at, t.redeemed_at, t.provider_id, u.active AS user_active
         FROM handoff_tickets t LEFT JOIN users u ON u.id = t.user_id
        WHERE t.id = $1`,
      [id],
    );
    return rows[0] && toView(rows[0]);
  }

  /** A new pending ticket; returns its id. */
  async create(ticket: { client: StudioClient; redirectUri: string; codeChallenge: string; expiresAt: Date }, chained: ChainedWrite[]): Promise<string> {
    const params: unknown[] = [ticket.client, ticket.redirectUri, ticket.codeChallenge, ticket.expiresAt];
    const rows = await preparedQuery<{ id: string }>(
      this.dataSource,
      `WITH created AS (
         INSERT INTO handoff_tickets (client, redirect_uri, code_challenge, status, expires_at) VALUES ($1, $2, $3, 'pending', $4) RETURNING id, client
       )${chain(chained, 'created', params)}
       SELECT id FROM created`,
      params,
    );
    return rows[0].id;
  }

  /**
   * Binds an open ticket to the user and sets a new code digest: a pending ticket, or one this same
   * user claimed before (a second click), never someone else's. Undefined when it changed nothing.
   */
  async claim(
    claim: { id: string; userId: string; providerId: string | null; codeHash: string; codeExpiresAt: Date },
    chained: ChainedWrite[],
  ): Promise<{ client: StudioClient; redirectUri: string; codeExpiresAt: Date } | undefined> {
    const params: unknown[] = [claim.id, claim.userId, claim.providerId, claim.codeHash, claim.codeExpiresAt];
    const rows = await preparedQuery<{ client: StudioClient; redirect_uri: string; code_expires_at: Date }>(
      this.dataSource,
      `WITH claimed AS (
         UPDATE handoff_tickets
            SET status = 'authenticated', user_id = $2, provider_id = $3, code_hash = $4,
                code_expires_at = LEAST($5::timestamptz, expires_at), authenticated_at = COALESCE(authenticated_at, now())
          WHERE id = $1 AND expires_at > now() AND (status = 'pending' OR (status = 'authenticated' AND user_id = $2))
         RETURNING id, client, redirect_uri, code_expires_at
       )${chain(chained, 'claimed', params)}
       SELECT client, redirect_uri, code_expires_at FROM claimed`,
      params,
    );
    const row = rows[0];
    return row && { client: row.client, redirectUri: row.redirect_uri, codeExpiresAt: row.code_expires_at };
  }

  /** Denies an open, unexpired ticket that meets `condition`; returns its client, or undefined when it changed nothing. */
  async deny(id: string, reason: HandoffDeniedReason, condition: DenialCondition, chained: ChainedWrite[]): Promise<StudioClient | undefined> {
    const params: unknown[] = [id, reason];
    const where =
      'pending' in condition
        ? `status = 'pending'`
        : 'open' in condition
          ? `status IN ('pending', 'authenticated')`
          : (params.push(condition.pendingOrClaimedBy), `(status = 'pending' OR (status = 'authenticated' AND user_id = $3))`);
    const rows = await preparedQuery<{ client: StudioClient }>(
      this.dataSource,
      `WITH denied AS (
         UPDATE handoff_tickets SET status = 'denied', denied_reason = $2, code_hash = NULL, code_expires_at = NULL
          WHERE id = $1 AND expires_at > now() AND ${where}
         RETURNING id, client
       )${chain(chained, 'denied', params)}
       SELECT client FROM denied`,
      params,
    );
    return rows[0]?.client;
  }

  /**
   * Redeems an authenticated ticket whose code digest and PKCE challenge match, whose code and
   * ticket are unexpired and whose user is active, once; the chained writes (tokens, audit) read
   * its `user_id`, `client`, `provider_id`, `email`. Undefined when it changed nothing.
   */
  async redeem(
    grant: { id: string; codeHash: string; codeChallenge: string },
    chained: ChainedWrite[],
  ): Promise<{ userId: string; email: string; displayName: string; client: StudioClient } | undefined> {
    const params: unknown[] = [grant.id, grant.codeHash, grant.codeChallenge];
    const rows = await preparedQuery<{ user_id: string; email: string; display_name: string; client: StudioClient }>(
      this.dataSource,
      `WITH won AS (
         UPDATE handoff_tickets t SET status = 'redeemed', redeemed_at = now(), code_hash = NULL
           FROM users u
          WHERE t.id = $1 AND t.status = 'authenticated' AND t.expires_at > now() AND t.code_expires_at > now()
            AND t.code_hash = $2 AND t.code_challenge = $3 AND u.id = t.user_id AND u.active
         RETURNING t.id, t.user_id, t.client, t.provider_id, u.email, u.display_name
       )${chain(chained, 'won', params)}
       SELECT user_id, email, display_name, client FROM won`,
      params,
    );
    const row = rows[0];
    return row && { userId: row.user_id, email: row.email, displayName: row.display_name, client: row.client };
  }
}

function toView(row: TicketRow): TicketView {
  return {
    id: row.id,
    client: row.client,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    status: row.status,
    deniedReason: row.denied_reason,
    userId: row.user_id,
    codeHash: row.code_hash,
    codeExpiresAt: row.code_expires_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    authenticatedAt: row.authenticated_at,
    redeemedAt: row.redeemed_at,
    providerId: row.provider_id,
    userActive: row.user_active,
  };
}
