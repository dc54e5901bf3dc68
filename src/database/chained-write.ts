/**
 * A write of one module that runs inside another module's statement, fed by the row that statement
 * changes: `WITH changed AS (UPDATE … RETURNING …), <chained writes> SELECT … FROM changed`. It
 * appends its values to `params` and returns its CTEs (`name AS (…)`, comma-separated), reading the
 * changed row as `source`. PostgreSQL runs every data-modifying CTE once, in the statement's own
 * transaction: the writes commit together or not at all, in one round trip, and when the statement
 * changes no row the chained writes write nothing.
 */
export type ChainedWrite = (source: string, params: unknown[]) => string;

/** Appends `value` to the statement's parameters and returns its placeholder. */
export function parameter(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/** The chained writes as CTEs to follow the statement's first one (`WITH changed AS (…)<here>`). */
export function chain(writes: ChainedWrite[], source: string, params: unknown[]): string {
  return writes.map((write) => `,\n${write(source, params)}`).join('');
}
