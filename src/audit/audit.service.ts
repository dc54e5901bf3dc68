import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { currentRequest } from '../observability/request-context.js';
import { AuditEvent } from './audit-event.entity.js';
import type { AuditRecord } from './audit.types.js';

/** The one writer of the audit trail; every module records its events through it. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  /**
   * Appends an event. A failure to write is logged, not thrown: the audit trail must not turn a
   * finished sign-in or revocation into an error for the person in front of it.
   */
  async record(event: AuditRecord): Promise<void> {
    const request = currentRequest();
    try {
      await this.events.insert({
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
      });
    } catch (error) {
      this.logger.error(`could not write audit event ${event.type}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
