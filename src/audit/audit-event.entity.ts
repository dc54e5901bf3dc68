import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditDetails, AuditEventType, AuditOutcome } from './audit.types.js';

/** One line of the audit trail. Append-only: the service inserts rows and the pruning job deletes old ones. */
@Entity({ name: 'audit_events' })
@Index('audit_events_at_id_idx', ['at', 'id'])
export class AuditEvent {
  /** Increasing, so that (at, id) orders events and serves as a stable paging cursor. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  @Index('audit_events_type_idx')
  @Column({ type: 'varchar', length: 64 })
  type: AuditEventType;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason: string | null;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  /** The actor's email when the event was written (a SCIM token: its name). */
  @Column({ name: 'actor_email', type: 'varchar', length: 320, nullable: true })
  actorEmail: string | null;

  @Index('audit_events_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email: string | null;

  @Column({ name: 'provider_id', type: 'varchar', length: 40, nullable: true })
  providerId: string | null;

  @Column({ type: 'varchar', length: 64 })
  ip: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 512 })
  userAgent: string;

  @Column({ name: 'request_id', type: 'varchar', length: 64 })
  requestId: string;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  details: AuditDetails;
}
