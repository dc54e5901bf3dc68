import { HttpStatus, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuditEventsRepository, type AuditRow } from './audit-events.repository.js';
import { AUDIT_EVENT_TYPES, type AuditEventType } from './audit.types.js';

export interface AuditQuery {
  type?: string;
  userId?: string;
  actor?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
}

export interface AuditEventView {
  id: string;
  at: string;
  type: AuditEventType;
  outcome: string;
  reason?: string;
  actorId?: string;
  actorEmail?: string;
  userId?: string;
  email?: string;
  providerId?: string;
  ip: string;
  userAgent: string;
  requestId: string;
  details: Record<string, unknown>;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 1000;

/** Reading the audit trail (admin API, LifeTime pages) and keeping it within its retention. */
@Injectable()
export class AuditTrailService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditTrailService.name);
  private timer?: NodeJS.Timeout;
  private firstRun?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: AuditEventsRepository,
  ) {}

  onApplicationBootstrap(): void {
    // In the background and in batches: retention must never hold up a request or lock the table long.
    this.timer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.timer.unref();
    this.firstRun = setTimeout(() => void this.prune(), 5_000);
    this.firstRun.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    clearTimeout(this.firstRun);
  }

  async prune(): Promise<number> {
    let total = 0;
    try {
      for (let round = 0; round < 100; round++) {
        const removed = await this.events.pruneOlderThan(this.config.audit.retentionDays, PRUNE_BATCH);
        total += removed;
        if (removed < PRUNE_BATCH) break;
      }
      if (total > 0) this.logger.log(`audit retention: ${total} event(s) older than ${this.config.audit.retentionDays} days removed`);
    } catch (error) {
      this.logger.warn(`audit retention failed: ${(error as Error).message}`);
    }
    return total;
  }

  /** One page, newest first; `nextCursor` is null on the last page. */
  async list(query: AuditQuery): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
    const problems: string[] = [];
    const type = query.type || undefined;
    if (type !== undefined && !(AUDIT_EVENT_TYPES as readonly string[]).includes(type)) problems.push(`type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`);
    const userId = query.userId || undefined;
    if (userId !== undefined && !UUID.test(userId)) problems.push('userId must be a UUID');
    const actor = parseActor(query.actor, problems);
    const since = parseTime(query.since, 'since', problems);
    const until = parseTime(query.until, 'until', problems);
    const limit = query.limit === undefined || query.limit === '' ? DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) problems.push(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (query.cursor && !after) problems.push('cursor is not one this service gave out');
    if (problems.length > 0) throw new DomainException('invalid_query', HttpStatus.BAD_REQUEST, problems.join('; '));

    const rows = await this.events.page({ type: type as AuditEventType | undefined, userId, actor, since, until, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { events: page.map(toView), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }
}

/** `actor=`: a UUID names the actor's id; anything else their email (or a SCIM token's name). */
function parseActor(value: string | undefined, problems: string[]): { id: string } | { email: string } | undefined {
  const actor = value?.trim();
  if (!actor) return undefined;
  if (actor.length > 320) {
    problems.push('actor must be at most 320 characters');
    return undefined;
  }
  return UUID.test(actor) ? { id: actor.toLowerCase() } : { email: actor };
}

function parseTime(value: string | undefined, name: string, problems: string[]): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) problems.push(`${name} must be an ISO 8601 date-time`);
  return time;
}

function encodeCursor(row: AuditRow): string {
  return Buffer.from(JSON.stringify([row.at_text, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [at, id] = value as unknown[];
    if (typeof at !== 'string' || !isPostgresTimestamp(at) || typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return undefined;
    return { at, id };
  } catch {
    return undefined;
  }
}

/** PostgreSQL's text form of a timestamptz (`2026-11-28 06:45:01.123456+00`), checked so a tampered cursor is a 400, not a database error. */
function isPostgresTimestamp(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2})(?::(\d{2}))?$/.exec(text);
  if (!match) return false;
  const [, year, month, day, hour, minute, second, fraction = '', zone, zoneMinutes = '00'] = match;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${zone}:${zoneMinutes}`;
  const parsed = new Date(iso);
  return !Number.isNaN(parsed.getTime()) && Number(day) <= 31 && Number(month) <= 12;
}

function toView(row: AuditRow): AuditEventView {
  return {
    id: row.id,
    at: row.at.toISOString(),
    type: row.type,
    outcome: row.outcome,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.actor_id ? { actorId: row.actor_id } : {}),
    ...(row.actor_email ? { actorEmail: row.actor_email } : {}),
    ...(row.user_id ? { userId: row.user_id } : {}),
    ...(row.email ? { email: row.email } : {}),
    ...(row.provider_id ? { providerId: row.provider_id } : {}),
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: row.details,
  };
}
