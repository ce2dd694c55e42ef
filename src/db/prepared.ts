import { createHash } from 'node:crypto';

const names = new Map<string, string>();

/**
 * A prepared-statement name for this SQL text (`.options({ name })` on a knex query): node-postgres
 * then parses the statement once per connection, and PostgreSQL plans it once and, after five
 * executions, keeps a generic plan. Planning alone cost ~1 ms of PostgreSQL's ~6 ms of CPU per
 * submit+approve (pg_stat_statements, one-at-a-time bench). Only for statements whose text the code
 * fixes (never the number of values: each text is one statement per connection) and that return no
 * `*` (a column a migration adds would change a cached statement's result type). PGlite ignores it.
 */
export function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `kyso_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}
