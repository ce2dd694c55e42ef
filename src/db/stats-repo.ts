import type { Knex } from 'knex';
import type { PeriodRange } from '../stats/periods.js';

/** An aggregate table of migrations/005_stats.ts. */
export type AggregateTable = 'stats_certificates' | 'stats_certificates_org' | 'stats_revocations' | 'stats_signing_accounts';

/** One grouping column: its output name and SQL over the aggregate row `s` (and joins `pm`, `o`). */
export interface KeyColumn {
  name: string;
  sql: string;
}

/** What to sum over which rows of an aggregate table, grouped by which keys. */
export interface AggregateQuery {
  table: AggregateTable;
  /** For tables kept per cube (src/stats/cubes.ts): the cube to read. */
  cube?: string;
  keys: readonly KeyColumn[];
  /** Output name → SQL of a column that labels a group without splitting it, e.g. `min(o.name)`. */
  labels: Readonly<Record<string, string>>;
  /** Output name → SQL aggregate over `s`, e.g. `sum(s.issued)`; groups whose first sum is zero are left out. */
  sums: Readonly<Record<string, string>>;
  ranges: readonly PeriodRange[];
  joinProvinceMappings: boolean;
  joinOrganizations: boolean;
}

/**
 * Moves the certificates, status changes and signing accounts committed since the last fold into
 * the aggregate tables (migrations/005_stats.ts); returns how many queued rows it took.
 */
export async function foldPending(knex: Knex): Promise<number> {
  const result = await knex.raw('select kyso_stats_fold() as folded');
  return Number(result.rows[0].folded);
}

/** Sums an aggregate table over period ranges, grouped by the keys (unordered). */
export async function sumAggregates(knex: Knex, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
  const q = knex({ s: query.table });
  if (query.joinProvinceMappings) q.leftJoin({ pm: 'province_mappings' }, 'pm.province', 's.province');
  if (query.joinOrganizations) q.leftJoin({ o: 'organizations' }, 'o.id', 's.organization_id');
  if (query.cube !== undefined) q.where('s.cube', query.cube);
  q.where((any) => {
    for (const range of query.ranges) {
      any.orWhere((w) => {
        w.where('s.grain', range.grain);
        if (range.start !== null) w.where('s.period', '>=', range.start);
        if (range.end !== null) w.where('s.period', '<', range.end);
      });
    }
  });
  const sums = Object.entries(query.sums);
  q.select([
    ...query.keys.map((k) => knex.raw(`${k.sql} as ??`, [k.name])),
    ...Object.entries(query.labels).map(([name, sql]) => knex.raw(`${sql} as ??`, [name])),
    ...sums.map(([name, sql]) => knex.raw(`${sql} as ??`, [name])),
  ]);
  if (query.keys.length) {
    const positions = query.keys.map((_, i) => i + 1).join(', ');
    q.groupByRaw(positions);
  }
  q.havingRaw(`${sums[0]![1]} <> 0`);
  return q;
}
