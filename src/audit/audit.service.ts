import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { parameter, type ChainedWrite } from '../database/chained-write.js';
import { currentRequest } from '../observability/request-context.js';
import { AuditEvent } from './audit-event.entity.js';
import type { AuditRecord } from './audit.types.js';
import type { RequestActor } from '../observability/request-context.js';

/** Events written by one INSERT at most; more wait for the next one. */
const MAX_BATCH = 200;

/** What an event takes from the row of the statement it is written with: column names of that row. */
export interface AuditFromRow {
  userId?: string;
  email?: string;
  /** Keys of `details` whose values are the row's columns. */
  details?: Record<string, string>;
}

interface Queued {
  row: QueryDeepPartialEntity<AuditEvent>;
  written: () => void;
}

/** The one writer of the audit trail; every module records its events through it. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private readonly queue: Queued[] = [];
  private writing = false;

  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  /**
   * Appends an event; resolves once it is written. Events recorded while an INSERT is under way go
   * together in the next one, so a busy instance commits a few multi-row INSERTs instead of one per
   * event, and a quiet one writes each at once. A failure to write is logged, not thrown: the audit
   * trail must not turn a finished sign-in or revocation into an error for the person in front of it.
   */
  record(event: AuditRecord): Promise<void> {
    const row = this.rowOf(event);
    return new Promise<void>((written) => {
      this.queue.push({ row, written });
      if (!this.writing) void this.writeQueued();
    });
  }

  /**
   * The event as a write chained to the statement that makes the change it records (see
   * ChainedWrite): written only if that statement changes a row, committed with it, and in the same
   * round trip. Unlike `record`, a failure to write it fails the change too: it is never unrecorded.
   */
  alongside(event: AuditRecord, fromRow: AuditFromRow = {}): ChainedWrite {
    const row = this.rowOf(event);
    return (source, params) => {
      const value = (v: unknown) => parameter(params, v);
      const column = (name: string | undefined, fallback: unknown, type: string) => (name ? `${source}.${name}` : `${value(fallback)}::${type}`);
      const details = Object.entries(fromRow.details ?? {}).reduce(
        (sql, [key, name]) => `${sql} || jsonb_build_object(${value(key)}::text, ${source}.${name})`,
        `${value(JSON.stringify(row.details))}::jsonb`,
      );
      return `audit_${params.length} AS (
        INSERT INTO audit_events (type, outcome, reason, actor_id, actor_email, user_id, email, provider_id, ip, user_agent, request_id, details)
        SELECT ${value(row.type)}::varchar, ${value(row.outcome)}::varchar, ${value(row.reason)}::varchar,
               ${column(row.actorId ? undefined : fromRow.userId, row.actorId, 'uuid')}, ${column(row.actorEmail ? undefined : fromRow.email, row.actorEmail, 'varchar')},
               ${column(fromRow.userId, row.userId, 'uuid')}, ${column(fromRow.email, row.email, 'varchar')}, ${value(row.providerId)}::varchar,
               ${value(row.ip)}::varchar, ${value(row.userAgent)}::varchar, ${value(row.requestId)}::varchar, ${details}
          FROM ${source})`;
    };
  }

  /** The row of an event; address, user agent and request id from the request's async context. */
  private rowOf(event: AuditRecord): QueryDeepPartialEntity<AuditEvent> {
    const request = currentRequest();
    const actor = actorOf(event, request?.actor);
    return {
      type: event.type,
      outcome: event.outcome ?? (event.reason ? 'failure' : 'success'),
      reason: event.reason ?? null,
      actorId: actor.id ?? null,
      actorEmail: actor.email ?? null,
      userId: event.userId ?? null,
      email: event.email ?? null,
      providerId: event.providerId ?? null,
      ip: (request?.ip ?? '').slice(0, 64),
      userAgent: request?.userAgent ?? '',
      requestId: request?.requestId ?? '',
      details: event.details ?? {},
    };
  }

  private async writeQueued(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.events.insert(batch.map((queued) => queued.row));
      } catch {
        // One event the table refuses must not take the others with it: each on its own.
        for (const queued of batch) await this.insertOne(queued.row);
      }
      for (const queued of batch) queued.written();
    }
    this.writing = false;
  }

  private async insertOne(row: QueryDeepPartialEntity<AuditEvent>): Promise<void> {
    try {
      await this.events.insert(row);
    } catch (error) {
      this.logger.error(`could not write audit event ${String(row.type)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * Who acted: the event's own actor, else whoever the request acts for, else the user the event is
 * about (a sign-in, a Studio login). An email is named only when it belongs to that actor.
 */
export function actorOf(event: Pick<AuditRecord, 'actorId' | 'actorEmail' | 'userId' | 'email' | 'type'>, requestActor?: RequestActor): { id?: string; email?: string } {
  if (event.actorId) return { id: event.actorId, email: event.actorEmail ?? (requestActor?.id === event.actorId ? requestActor.email : event.actorId === event.userId ? event.email : undefined) };
  if (event.actorEmail) return { email: event.actorEmail };
  if (requestActor) return requestActor;
  // A provider's back-channel logout is the provider's doing, not the user's.
  if (event.type === 'logout.backchannel') return {};
  return { id: event.userId, email: event.userId ? event.email : undefined };
}
