import type { Knex } from 'knex';
import { COUNTERS, DIMENSIONS, organizationEventsDuring, statusEventsDuring } from '../stats/events.js';
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
  /** For tables kept per cube (src/stats/cubes.ts): the cube to read, and whether it keeps day rows. */
  cube?: { dimensions: string; days: boolean };
  keys: readonly KeyColumn[];
  /** Output name → SQL of a column that labels a group without splitting it, e.g. `min(o.name)`. */
  labels: Readonly<Record<string, string>>;
  /** Output name → SQL aggregate over `s`, e.g. `sum(s.issued)`; groups whose first sum is zero are left out. */
  sums: Readonly<Record<string, string>>;
  ranges: readonly PeriodRange[];
  joinProvinceMappings: boolean;
  joinOrganizations: boolean;
  /** SQL over the grouped rows to sort by; empty: unordered. */
  orderBy: readonly string[];
}

/**
 * Moves the certificates, status changes and signing accounts committed since the last fold into
 * the aggregate tables (migrations/005_stats.ts); returns how many queued rows it took.
 */
export async function foldPending(knex: Knex): Promise<number> {
  const result = await knex.raw('select kyso_stats_fold() as folded');
  return Number(result.rows[0].folded);
}

/**
 * The columns and the raw day events of the tables whose larger cubes keep no day rows
 * (src/stats/cubes.ts): the edge days of a window are counted from the certificates instead.
 */
const EVENTS_DURING: Partial<Record<AggregateTable, { columns: readonly string[]; events: (start: string, end: string) => string }>> = {
  stats_certificates: { columns: [...DIMENSIONS, ...COUNTERS], events: statusEventsDuring },
  stats_certificates_org: { columns: ['organization_id', ...DIMENSIONS, 'issued'], events: organizationEventsDuring },
};

/** A `YYYY-MM-DD` day as an SQL date literal (periods.ts computes them from validated dates). */
function dateLiteral(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`);
  return `date '${day}'`;
}

/** Sums an aggregate table over period ranges, grouped by the keys. */
export async function sumAggregates(db: Knex, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
  return db.transaction(async (knex) => {
    // The planner's cost of the edge-day queries (row estimates of ORed ranges) triggers JIT
    // compilation, which costs 0.1–3 s for a query that runs in milliseconds.
    await knex.raw('set local jit = off');
    return sumIn(knex, query);
  });
}

/** sumAggregates within a transaction. */
async function sumIn(knex: Knex.Transaction, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
  const raw = query.cube && !query.cube.days ? EVENTS_DURING[query.table] : undefined;
  const stored = raw ? query.ranges.filter((r) => r.grain !== 'd') : query.ranges;
  const rows = knex(query.table).where((any) => {
    for (const range of stored) {
      any.orWhere((w) => {
        w.where('grain', range.grain);
        if (range.start !== null) w.where('period', '>=', range.start);
        if (range.end !== null) w.where('period', '<', range.end);
      });
    }
  });
  if (query.cube !== undefined) rows.where('cube', query.cube.dimensions);
  let source: Knex.QueryBuilder | Knex.Raw = rows;
  if (raw) {
    // Ranges of days are bounded: periods.ts only splits days off whole months and years.
    const edges = query.ranges
      .filter((r) => r.grain === 'd')
      .map((r) => `select day as period, ${raw.columns.join(', ')} from (${raw.events(dateLiteral(r.start!), dateLiteral(r.end!))}) e`);
    rows.select(['period', ...raw.columns]);
    source = edges.length ? knex.raw(`${rows.toQuery()} union all ${edges.join(' union all ')}`) : rows;
  }
  const q = knex.from(knex.raw('(?) as s', [source]));
  if (query.joinProvinceMappings) q.leftJoin({ pm: 'province_mappings' }, 'pm.province', 's.province');
  if (query.joinOrganizations) q.leftJoin({ o: 'organizations' }, 'o.id', 's.organization_id');
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
  if (query.orderBy.length) q.orderByRaw(query.orderBy.join(', '));
  return q;
}
