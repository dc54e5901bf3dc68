import type { EntityManager } from 'typeorm';

/** How long an expired row is kept (for support questions), and how many go per call. */
const KEEP_AFTER_EXPIRY = '1 day';
const BATCH = 100;

/**
 * Deletes a bounded batch of rows that expired over a day ago. There is no scheduler: callers run
 * it as they create new rows. SKIP LOCKED: instances pruning at once take different rows instead of waiting.
 */
export async function pruneExpired(manager: EntityManager, table: 'handoff_tickets' | 'desktop_tokens' | 'desktop_token_families'): Promise<void> {
  await manager.query(
    `DELETE FROM ${table} WHERE id IN (
       SELECT id FROM ${table} WHERE expires_at < now() - interval '${KEEP_AFTER_EXPIRY}' LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
  );
}
