import type { Knex } from 'knex';

/**
 * A listing of `table` newest first by (created_at, id), after a keyset cursor: stable under
 * inserts, and rows of one batch (same created_at) still page in id order.
 */
export function newestFirst<Row extends object>(
  knex: Knex,
  table: string,
  after: { createdAt: Date; id: string } | undefined,
  limit: number,
): Knex.QueryBuilder<Row, Row[]> {
  const query = knex<Row>(table)
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit);
  if (after) query.whereRaw('(created_at, id) < (?, ?)', [after.createdAt, after.id]);
  return query as unknown as Knex.QueryBuilder<Row, Row[]>;
}
