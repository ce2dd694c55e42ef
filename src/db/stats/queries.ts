import type { Knex } from 'knex';
import { AGGREGATES, cubeCode, smallestCube, type AggregateTable, type Cube } from './cubes.js';
import { issuanceEventsDuring, organizationEventsDuring } from './events.js';
import { decompose, decomposeByRunningTotals, rowsPerCell, type Grain, type PeriodPart, type RunningTotal } from './periods.js';

/*
 * The statistics queries: a typed question (which report, grouped by what, over which days,
 * which counters) answered from the aggregate tables (src/db/stats/cubes.ts, kept by the fold of
 * src/db/stats/maintenance.ts): the smallest cube that keeps the grouping, its period rows or
 * running totals (whichever are fewer), and the edge days from the certificates where a cube
 * keeps no day rows. Callers never see SQL.
 */

/** The statistics kyso reports. */
export type StatsReport = 'issuance' | 'revocations' | 'status' | 'signingAccounts';

/** What a report counts: certificates issued, revoked, expired (at a cut-off) or suspended, signing accounts created. */
export type StatsCounter = 'issued' | 'revoked' | 'expired' | 'suspended' | 'accounts';

/** A grouping: a dimension of the events, today's province, the organization, or a period of the window. */
export type StatsGroupKey =
  | 'holder'
  | 'medium'
  | 'sector'
  | 'province'
  | 'currentProvince'
  | 'issuer'
  | 'reason'
  | 'organization'
  | 'year'
  | 'quarter'
  | 'month';

/** A question to the statistics. */
export interface StatsQuery {
  readonly report: StatsReport;
  readonly groupBy: readonly StatsGroupKey[];
  /** Vietnam calendar days [start, end) (`YYYY-MM-DD`); null: unbounded. */
  readonly window: { readonly start: string | null; readonly end: string | null };
  /** The counters to sum, in order: groups whose first counter is zero are left out. */
  readonly counters: readonly StatsCounter[];
}

/** Rows of a StatsQuery: each groupBy key (string, or null) and each counter (number), unsorted. */
export interface StatsAnswer {
  readonly rows: Array<Record<string, string | number | null>>;
  /** The organizations' version when the rows were read: it moves whenever an organization changes. */
  readonly organizationsVersion: string;
}

/** A counter: SQL over the summed rows `s`, and the aggregates' columns it reads. */
const sum = (column: string) => ({ sql: `sum(s.${column})`, reads: [column] });

/** Each report's aggregate tables (by the grouping), and its counters. */
const REPORTS: Record<
  StatsReport,
  { tables: (groupBy: readonly StatsGroupKey[]) => AggregateTable[]; counters: Partial<Record<StatsCounter, { sql: string; reads: string[] }>> }
> = {
  issuance: {
    tables: (groupBy) => [groupBy.includes('organization') ? 'stats_certificates_org' : 'stats_certificates'],
    counters: { issued: sum('issued') },
  },
  revocations: { tables: () => ['stats_revocations'], counters: { revoked: sum('revoked') } },
  signingAccounts: { tables: () => ['stats_signing_accounts'], counters: { accounts: sum('accounts') } },
  status: {
    tables: () => ['stats_certificates', 'stats_transitions'],
    counters: {
      issued: sum('issued'),
      revoked: sum('revoked'),
      // Expired and not revoked (src/db/stats/events.ts).
      expired: { sql: 'sum(s.expiring - s.expired_revoked)', reads: ['expiring', 'expired_revoked'] },
      suspended: sum('suspended'),
    },
  },
};

/**
 * Grouping keys: the SQL each reads from an aggregate row `s` (text in byte order, "C", as the
 * aggregates keep it: grouping compares bytes, kyso sorts for people), and what its value is
 * looked up as.
 */
const KEY_SQL: Record<StatsGroupKey, Omit<KeyColumn, 'name'>> = {
  holder: { sql: 's.holder' },
  medium: { sql: 's.medium' },
  sector: { sql: 's.sector' },
  province: { sql: 's.province' },
  // Today's province after the 2025 mergers (province_mappings); unmapped names are current already.
  currentProvince: { sql: 's.province', lookup: 'currentProvince' },
  // Aggregates keep a code per issuer (stats_issuers).
  issuer: { sql: 's.issuer', lookup: 'issuerDn' },
  reason: { sql: 's.reason' },
  organization: { sql: 's.organization_id' },
  year: { sql: `to_char(s.period, 'YYYY') collate "C"` },
  quarter: { sql: `to_char(s.period, 'YYYY-"Q"Q') collate "C"` },
  month: { sql: `to_char(s.period, 'YYYY-MM') collate "C"` },
};

const TIME_KEYS: readonly StatsGroupKey[] = ['year', 'quarter', 'month'];
/** Grouping keys read from another column of the aggregate rows. */
const KEY_COLUMNS: Partial<Record<StatsGroupKey, string>> = { currentProvince: 'province', organization: 'organization_id' };
const CUBE_DIMENSIONS = new Set(['reason', 'holder', 'medium', 'sector', 'province', 'issuer', 'organization_id']);

/** The smallest cube of `table` that keeps the dimensions `groupBy` needs. */
function cubeFor(table: AggregateTable, groupBy: readonly StatsGroupKey[]): Cube {
  const dimensions = groupBy.map((k) => KEY_COLUMNS[k] ?? k).filter((k) => CUBE_DIMENSIONS.has(k));
  return smallestCube(AGGREGATES[table].cubes, dimensions);
}

/**
 * Answers a StatsQuery: folds what is queued, then sums the report's aggregates over the window,
 * each read at the smallest cube that keeps the grouping's dimensions, from period rows or running
 * totals, whichever are fewer. Year rows cannot be split into months or quarters, nor quarter
 * rows into months; running totals carry no period of the events they count, so none are read
 * when grouping by a period.
 */
export async function queryStats(knex: Knex, query: StatsQuery): Promise<StatsAnswer> {
  const report = REPORTS[query.report];
  const wanted = query.counters.map((name) => {
    const counter = report.counters[name];
    if (!counter) throw new Error(`report ${query.report} has no counter ${name}`);
    return { name, ...counter };
  });
  const sums = Object.fromEntries(wanted.map((c) => [c.name, c.sql]));
  const tables = report.tables(query.groupBy);
  // Only the columns the sums read are read from the aggregates (and the edge days' events).
  const counters = tables.flatMap((t) => AGGREGATES[t].counters).filter((column) => wanted.some((c) => c.reads.includes(column)));
  const { groupBy, window } = query;
  const years = !groupBy.some((k) => k === 'month' || k === 'quarter');
  const quarters = !groupBy.includes('month');
  const running = !groupBy.some((k) => TIME_KEYS.includes(k));
  const parts = tables.map((table) => {
    const cube = cubeFor(table, groupBy);
    const grains: Grain[] = [
      ...(years ? (['y'] as const) : []),
      ...(quarters && cube.quarters ? (['q'] as const) : []),
      'm',
      ...(cube.finest === 'x' ? (['x'] as const) : []),
      'd',
    ];
    const periods = decompose(window.start, window.end, grains);
    if (!running || !cube.runningTotals) return { table, cube, ranges: periods };
    const totals = decomposeByRunningTotals(window.start, window.end, grains.filter((g) => g === 'x' || g === 'd'));
    return { table, cube, ranges: rowsPerCell(totals) < rowsPerCell(periods) ? totals : periods };
  });
  const { organizationsVersion } = await foldPending(knex);
  const keys = groupBy.map((name) => ({ name, ...KEY_SQL[name] }));
  const rows = await sumAggregates(knex, { parts, keys, sums, counters });
  return {
    organizationsVersion,
    rows: rows.map((row) => {
      const out: Record<string, string | number | null> = {};
      for (const key of groupBy) out[key] = row[key] == null ? null : String(row[key] as string | number);
      for (const name of query.counters) out[name] = Number(row[name]);
      return out;
    }),
  };
}

/**
 * One grouping column: its output name, SQL over the aggregate row `s`, and what the grouped value
 * is looked up as after summing, if anything: an issuer code's DN, a province's name today.
 */
interface KeyColumn {
  name: string;
  sql: string;
  lookup?: 'issuerDn' | 'currentProvince';
}

/** Rows of one aggregate table to sum: a cube (src/db/stats/cubes.ts) over period ranges. */
interface AggregatePart {
  table: AggregateTable;
  cube: Cube;
  /** Rows to add or take away (src/db/stats/periods.ts): period ranges down to the cube's finest grain and days, or running totals. */
  ranges: readonly PeriodPart[];
}

/**
 * What to sum over which rows of aggregate tables (with the same keys), grouped by which keys; a
 * counter a table does not keep is zero in its rows.
 */
interface AggregateQuery {
  parts: readonly AggregatePart[];
  keys: readonly KeyColumn[];
  /** Output name → SQL aggregate over `s`, e.g. `sum(s.issued)`; groups whose first sum is zero are left out. */
  sums: Readonly<Record<string, string>>;
  /** The counters the sums read: only these are read from the aggregates (and edge days' events). */
  counters: readonly string[];
}

/**
 * Moves the certificates, status changes and signing accounts committed since the last fold into
 * the aggregate tables (migrations/006_stats_aggregates.ts); returns how many queued rows it
 * took, and the organizations' version, which moves whenever they change.
 */
async function foldPending(knex: Knex): Promise<{ folded: number; organizationsVersion: string }> {
  const result = (await knex.raw('select kyso_stats_fold() as folded, (select version from organizations_version) as version')) as {
    rows: Array<{ folded: number; version: number | string }>;
  };
  return { folded: Number(result.rows[0]!.folded), organizationsVersion: String(result.rows[0]!.version) };
}

/** Every organization's id and name. */
export function listOrganizationNames(knex: Knex): Promise<Array<{ id: string; name: string }>> {
  return knex('organizations').select('id', 'name');
}

/**
 * The day events of the tables whose larger cubes keep no day rows (src/db/stats/cubes.ts), in the
 * table's columns: a window's single edge days are counted from the certificates instead.
 */
const EVENTS_DURING: Partial<Record<AggregateTable, (start: string, end: string, counters: readonly string[], dimensions: readonly string[]) => string>> = {
  stats_certificates: issuanceEventsDuring,
  stats_certificates_org: organizationEventsDuring,
};

/** A `YYYY-MM-DD` day as an SQL date literal (periods.ts computes them from validated dates). */
function dateLiteral(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`);
  return `date '${day}'`;
}

/** Sums aggregate tables over period ranges, grouped by the keys. */
async function sumAggregates(db: Knex, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
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
function rangeRows(knex: Knex.Transaction, part: AggregatePart, range: PeriodPart, counters: readonly string[]): string {
  const { keys, counters: kept } = AGGREGATES[part.table];
  const signed = counters.map((c) => (!kept.includes(c) ? `0 as ${c}` : range.sign < 0 ? `-${c} as ${c}` : c));
  if ('at' in range) return runningTotalsAt(knex, part, range, [...keys, ...signed]);
  const events = EVENTS_DURING[part.table];
  if (range.grain === 'd' && part.cube.finest !== 'd') {
    if (!events) throw new Error(`${part.table} keeps no events for the days of cube ${part.cube.dimensions}`);
    // Ranges of single days are bounded: periods.ts only splits days off dekads, months and years.
    const dimensions = part.cube.dimensions.split(',');
    const during = events(dateLiteral(range.start!), dateLiteral(range.end!), counters.filter((c) => kept.includes(c)), dimensions);
    return `select day as period, ${[...keys, ...signed].join(', ')} from (${during}) e`;
  }
  const rows = knex(part.table)
    .select(knex.raw(['period', ...keys, ...signed].join(', ')))
    .where({ cube: cubeCode(part.cube), grain: range.grain });
  if (range.start !== null) rows.where('period', '>=', range.start);
  if (range.end !== null) rows.where('period', '<', range.end);
  return rows.toQuery();
}

/**
 * The running-total rows of a part's cube at one day. Y rows are kept through the year after the
 * last event (src/db/stats/maintenance.ts): a later day, or none (after every event), reads that year's.
 */
function runningTotalsAt(knex: Knex.Transaction, part: AggregatePart, total: RunningTotal, columns: readonly string[]): string {
  const cube = cubeCode(part.cube);
  const at =
    total.grain === 'M'
      ? dateLiteral(total.at!)
      : `least(${total.at === null ? `'infinity'::date` : dateLiteral(total.at)},
               (select max(period) from ${part.table} where cube = ${cube} and grain = 'Y'))`;
  return knex(part.table)
    .select(knex.raw(['period', ...columns].join(', ')))
    .where({ cube, grain: total.grain })
    .whereRaw(`period = ${at}`)
    .toQuery();
}

/** sumAggregates within a transaction. */
async function sumIn(knex: Knex.Transaction, query: AggregateQuery): Promise<Array<Record<string, unknown>>> {
  const source = query.parts.flatMap((part) => part.ranges.map((r) => rangeRows(knex, part, r, query.counters))).join(' union all ');
  if (!source) return [];
  const sums = Object.entries(query.sums);
  const grouped = knex
    .from(knex.raw(`(${source}) as s`))
    .select([...query.keys.map((k) => knex.raw(`${k.sql} as ??`, [k.name])), ...sums.map(([name, sql]) => knex.raw(`${sql} as ??`, [name]))]);
  const positions = query.keys.map((_, i) => i + 1).join(', ');
  if (query.keys.length) grouped.groupByRaw(positions);
  const regroup = query.keys.some((k) => k.lookup === 'currentProvince');
  if (!regroup) grouped.havingRaw(`${sums[0]![1]} <> 0`);
  if (!query.keys.some((k) => k.lookup)) return grouped;
  // Codes and provinces are looked up in the few summed rows, not in every row read; provinces
  // merged since are summed again under today's name (in byte order: no collation to apply).
  const q = knex.from(grouped.as('g'));
  const columns = query.keys.map((k, i) => {
    const value = knex.raw('g.??', [k.name]).toQuery();
    if (k.lookup === 'issuerDn') {
      q.leftJoin({ [`l${i}`]: 'stats_issuers' }, `l${i}.code`, `g.${k.name}`);
      return knex.raw(`l${i}.dn collate "C" as ??`, [k.name]);
    }
    if (k.lookup === 'currentProvince') {
      q.leftJoin({ [`l${i}`]: 'province_mappings' }, `l${i}.province`, `g.${k.name}`);
      return knex.raw(`coalesce(l${i}.current_province, ${value}) collate "C" as ??`, [k.name]);
    }
    return knex.raw(`${value} as ??`, [k.name]);
  });
  if (!regroup) return q.select([...columns, ...sums.map(([name]) => knex.raw('g.??', [name]))]);
  q.select([...columns, ...sums.map(([name]) => knex.raw('sum(g.??) as ??', [name, name]))]);
  q.groupByRaw(positions);
  return q.havingRaw('sum(g.??) <> 0', [sums[0]![0]]);
}
