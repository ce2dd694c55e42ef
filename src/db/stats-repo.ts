import type { Knex } from 'knex';
import { cubeCode, type Cube } from '../stats/cubes.js';
import { DIMENSIONS, ISSUANCE_COUNTERS, issuanceEventsDuring, organizationEventsDuring, TRANSITION_COUNTERS } from '../stats/events.js';
import type { PeriodRange } from '../stats/periods.js';

/** An aggregate table of migrations/006_stats_aggregates.ts. */
export type AggregateTable =
  | 'stats_certificates'
  | 'stats_transitions'
  | 'stats_certificates_org'
  | 'stats_revocations'
  | 'stats_signing_accounts';

/** One grouping column: its output name and SQL over the aggregate row `s` (and the joins `pm`, `si`). */
export interface KeyColumn {
  name: string;
  sql: string;
}

/** Rows of one aggregate table to sum: a cube (src/stats/cubes.ts) over period ranges. */
export interface AggregatePart {
  table: AggregateTable;
  cube: Cube;
  /** Rows to add or take away (src/stats/periods.ts), down to the cube's finest grain and days. */
  ranges: readonly PeriodRange[];
}

/**
 * What to sum over which rows of aggregate tables (with the same keys), grouped by which keys; a
 * counter a table does not keep is zero in its rows.
 */
export interface AggregateQuery {
  parts: readonly AggregatePart[];
  keys: readonly KeyColumn[];
  /** Output name → SQL aggregate over `s`, e.g. `sum(s.issued)`; groups whose first sum is zero are left out. */
  sums: Readonly<Record<string, string>>;
  joinProvinceMappings: boolean;
  /** Join `stats_issuers` as `si` (issuer DNs for their codes). */
  joinIssuers: boolean;
}

/**
 * Moves the certificates, status changes and signing accounts committed since the last fold into
 * the aggregate tables (migrations/006_stats_aggregates.ts); returns how many queued rows it
 * took, and the organizations' version, which moves whenever they change.
 */
export async function foldPending(knex: Knex): Promise<{ folded: number; organizationsVersion: string }> {
  const result = await knex.raw('select kyso_stats_fold() as folded, (select version from organizations_version) as version');
  return { folded: Number(result.rows[0].folded), organizationsVersion: String(result.rows[0].version) };
}

/** Every organization's id and name. */
export function listOrganizationNames(knex: Knex): Promise<Array<{ id: string; name: string }>> {
  return knex('organizations').select('id', 'name');
}

/** The key columns and counters of each aggregate table. */
const TABLE_COLUMNS: Record<AggregateTable, { keys: readonly string[]; counters: readonly string[] }> = {
  stats_certificates: { keys: DIMENSIONS, counters: ISSUANCE_COUNTERS },
  stats_transitions: { keys: DIMENSIONS, counters: TRANSITION_COUNTERS },
  stats_certificates_org: { keys: ['organization_id', ...DIMENSIONS], counters: ['issued'] },
  stats_revocations: { keys: ['reason', ...DIMENSIONS], counters: ['revoked'] },
  stats_signing_accounts: { keys: ['organization_id', 'sector', 'province'], counters: ['accounts'] },
};

/**
 * The day events of the tables whose larger cubes keep no day rows (src/stats/cubes.ts), in the
 * table's columns: a window's single edge days are counted from the certificates instead.
 */
const EVENTS_DURING: Partial<Record<AggregateTable, (start: string, end: string) => string>> = {
  stats_certificates: issuanceEventsDuring,
  stats_certificates_org: organizationEventsDuring,
};

/** A `YYYY-MM-DD` day as an SQL date literal (periods.ts computes them from validated dates). */
function dateLiteral(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`);
  return `date '${day}'`;
}

/** Sums aggregate tables over period ranges, grouped by the keys. */
export async function sumAggregates(db: Knex, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
  return db.transaction(async (knex) => {
    // The planner's cost estimates of these unions of ranges (and of the edge days' events)
    // trigger JIT compilation, 0.1–3 s, and parallel workers, ~5 ms to start, for queries that
    // read a few thousand rows in a millisecond or two.
    await knex.raw(`select set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`);
    return sumIn(knex, query);
  });
}

/**
 * The rows of one period range of a part, in the columns `counters` (zero where the table keeps no
 * such counter) times the range's sign: from the aggregate table, or for days its cube does not
 * keep, from the certificates.
 */
function rangeRows(knex: Knex.Transaction, part: AggregatePart, range: PeriodRange, counters: readonly string[]): string {
  const { keys, counters: kept } = TABLE_COLUMNS[part.table];
  const signed = counters.map((c) => (!kept.includes(c) ? `0 as ${c}` : range.sign < 0 ? `-${c} as ${c}` : c));
  const events = EVENTS_DURING[part.table];
  if (range.grain === 'd' && part.cube.finest !== 'd') {
    if (!events) throw new Error(`${part.table} keeps no events for the days of cube ${part.cube.dimensions}`);
    // Ranges of single days are bounded: periods.ts only splits days off dekads, months and years.
    return `select day as period, ${[...keys, ...signed].join(', ')} from (${events(dateLiteral(range.start!), dateLiteral(range.end!))}) e`;
  }
  const rows = knex(part.table)
    .select(knex.raw(['period', ...keys, ...signed].join(', ')))
    .where({ cube: cubeCode(part.cube), grain: range.grain });
  if (range.start !== null) rows.where('period', '>=', range.start);
  if (range.end !== null) rows.where('period', '<', range.end);
  return rows.toQuery();
}

/** sumAggregates within a transaction. */
async function sumIn(knex: Knex.Transaction, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
  const counters = [...new Set(query.parts.flatMap((p) => TABLE_COLUMNS[p.table].counters))];
  const source = query.parts.flatMap((part) => part.ranges.map((r) => rangeRows(knex, part, r, counters))).join(' union all ');
  if (!source) return [];
  const q = knex.from(knex.raw(`(${source}) as s`));
  if (query.joinProvinceMappings) q.leftJoin({ pm: 'province_mappings' }, 'pm.province', 's.province');
  if (query.joinIssuers) q.leftJoin({ si: 'stats_issuers' }, 'si.code', 's.issuer');
  const sums = Object.entries(query.sums);
  q.select([...query.keys.map((k) => knex.raw(`${k.sql} as ??`, [k.name])), ...sums.map(([name, sql]) => knex.raw(`${sql} as ??`, [name]))]);
  if (query.keys.length) {
    const positions = query.keys.map((_, i) => i + 1).join(', ');
    q.groupByRaw(positions);
  }
  q.havingRaw(`${sums[0]![1]} <> 0`);
  return q;
}
