import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { currentRequest } from '../observability/request-context.js';
import { AuditEvent } from './audit-event.entity.js';
import type { AuditRecord } from './audit.types.js';

/** Events written by one INSERT at most; more wait for the next one. */
const MAX_BATCH = 200;

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
    const request = currentRequest();
    const row: QueryDeepPartialEntity<AuditEvent> = {
      type: event.type,
      outcome: event.outcome ?? (event.reason ? 'failure' : 'success'),
      reason: event.reason ?? null,
      actorId: event.actorId ?? null,
      userId: event.userId ?? null,
      email: event.email ?? null,
      providerId: event.providerId ?? null,
      ip: request?.ip ?? '',
      userAgent: request?.userAgent ?? '',
      requestId: request?.requestId ?? '',
      details: event.details ?? {},
    };
    return new Promise<void>((written) => {
      this.queue.push({ row, written });
      if (!this.writing) void this.writeQueued();
    });
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
