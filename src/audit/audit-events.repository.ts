import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditDetails, AuditEventType, AuditOutcome } from './audit.types.js';

export interface AuditFilter {
  type?: AuditEventType;
  userId?: string;
  /** Who acted: an id (an admin, a user, a SCIM token) or an email or SCIM token name, any case. */
  actor?: { id: string } | { email: string };
  since?: Date;
  until?: Date;
  /** Where the previous page ended: the exact timestamp text and id of its last event. */
  after?: { at: string; id: string };
  limit: number;
}

export interface AuditRow {
  id: string;
  /** PostgreSQL's own text for the timestamp, microseconds included, so a cursor loses nothing. */
  at_text: string;
  at: Date;
  type: AuditEventType;
  outcome: AuditOutcome;
  reason: string | null;
  actor_id: string | null;
  actor_email: string | null;
  user_id: string | null;
  email: string | null;
  provider_id: string | null;
  ip: string;
  user_agent: string;
  request_id: string;
  details: AuditDetails;
}

/** Reads and prunes the audit trail; the writer is AuditService. */
@Injectable()
export class AuditEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Newest first, ordered by (at, id) through its index, so a cursor never skips or repeats an event. */
  page(filter: AuditFilter): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(clause(params.length));
    };
    if (filter.type) add((n) => `type = $${n}`, filter.type);
    if (filter.userId) add((n) => `user_id = $${n}`, filter.userId);
    if (filter.actor && 'id' in filter.actor) add((n) => `actor_id = $${n}`, filter.actor.id);
    if (filter.actor && 'email' in filter.actor) add((n) => `lower(actor_email) = $${n}`, filter.actor.email.toLowerCase());
    if (filter.since) add((n) => `at >= $${n}`, filter.since);
    if (filter.until) add((n) => `at < $${n}`, filter.until);
    if (filter.after) {
      params.push(filter.after.at, filter.after.id);
      where.push(`(at, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    params.push(filter.limit);
    return this.dataSource.query(
      `SELECT id::text AS id, at::text AS at_text, at, type, outcome, reason, actor_id, actor_email, user_id, email, provider_id, ip, user_agent, request_id, details
         FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** Deletes a bounded batch of events older than the retention; returns how many went. */
  async pruneOlderThan(days: number, batch: number): Promise<number> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `DELETE FROM audit_events WHERE id IN (
         SELECT id FROM audit_events WHERE at < now() - make_interval(days => $1) ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [days, batch],
    );
    // TypeORM answers a DELETE … RETURNING through query() as [rows, count].
    return Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : rows.length;
  }
}
