import type { Knex } from 'knex';
import type { Cube } from '../stats/cubes.js';
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
  /** The cube to read (src/stats/cubes.ts). */
  cube: Cube;
  keys: readonly KeyColumn[];
  /** Output name → SQL of a column that labels a group without splitting it, e.g. `min(o.name)`. */
  labels: Readonly<Record<string, string>>;
  /** Output name → SQL aggregate over `s`, e.g. `sum(s.issued)`; groups whose first sum is zero are left out. */
  sums: Readonly<Record<string, string>>;
  /** Rows to add or take away (src/stats/periods.ts), down to the cube's finest grain and days. */
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

/** The key columns and counters of each aggregate table (migrations/005_stats.ts). */
const TABLE_COLUMNS: Record<AggregateTable, { keys: readonly string[]; counters: readonly string[] }> = {
  stats_certificates: { keys: DIMENSIONS, counters: COUNTERS },
  stats_certificates_org: { keys: ['organization_id', ...DIMENSIONS], counters: ['issued'] },
  stats_revocations: { keys: ['reason', ...DIMENSIONS], counters: ['revoked'] },
  stats_signing_accounts: { keys: ['organization_id', 'sector', 'province'], counters: ['accounts'] },
};

/**
 * The day events of the tables whose larger cubes keep no day rows (src/stats/cubes.ts), in the
 * table's columns: a window's single edge days are counted from the certificates instead.
 */
const EVENTS_DURING: Partial<Record<AggregateTable, (start: string, end: string) => string>> = {
  stats_certificates: statusEventsDuring,
  stats_certificates_org: organizationEventsDuring,
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

/**
 * The rows of one period range, counters times the range's sign: from the aggregate table, or for
 * days a cube does not keep, from the certificates.
 */
function rangeRows(knex: Knex.Transaction, query: AggregateQuery, range: PeriodRange): string {
  const { keys, counters } = TABLE_COLUMNS[query.table];
  const signed = counters.map((c) => (range.sign < 0 ? `-${c} as ${c}` : c));
  const events = EVENTS_DURING[query.table];
  if (range.grain === 'd' && query.cube.finest !== 'd') {
    if (!events) throw new Error(`${query.table} keeps no events for the days of cube ${query.cube.dimensions}`);
    // Ranges of single days are bounded: periods.ts only splits days off dekads, months and years.
    return `select day as period, ${[...keys, ...signed].join(', ')} from (${events(dateLiteral(range.start!), dateLiteral(range.end!))}) e`;
  }
  const rows = knex(query.table)
    .select(knex.raw(['period', ...keys, ...signed].join(', ')))
    .where({ cube: query.cube.dimensions, grain: range.grain });
  if (range.start !== null) rows.where('period', '>=', range.start);
  if (range.end !== null) rows.where('period', '<', range.end);
  return rows.toQuery();
}

/** sumAggregates within a transaction. */
async function sumIn(knex: Knex.Transaction, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
  const source = query.ranges.length
    ? query.ranges.map((r) => rangeRows(knex, query, r)).join(' union all ')
    : knex(query.table).select('period', ...TABLE_COLUMNS[query.table].keys, ...TABLE_COLUMNS[query.table].counters).whereRaw('false').toQuery();
  const q = knex.from(knex.raw(`(${source}) as s`));
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
