import { DIMENSIONS, ISSUANCE_COUNTERS, TRANSITION_COUNTERS } from './events.js';

/**
 * The dimension subsets ("cubes") the aggregate tables are kept at
 * (migrations/006_stats_aggregates.ts), smallest first. A query reads the smallest cube that holds
 * every dimension it groups by: grouping by holder and medium over ten years reads a few hundred
 * rows, not one row per sector × province × issuer.
 *
 * Year and month rows are kept for every cube; day rows only for the cubes with at most about a
 * thousand cells (a cell: one combination of the cube's dimension values), whose day rows stay
 * bounded by cells × days (sector × province: 3.3M rows for twelve years). The larger cubes would
 * hold about one day row per event (the aggregates grew to 3.5 GB for 1M certificates); they keep
 * dekad rows instead (src/db/stats/periods.ts), and the at most five single days at each edge of a
 * window are counted from the certificates (src/db/stats/events.ts). The organization with every
 * dimension is kept per month only (its dekad rows would number about one per certificate); its
 * edges are up to half a month.
 */
/** The finest grain a cube keeps: day, dekad or month. */
export type FinestGrain = 'd' | 'x' | 'm';

/**
 * A cube: its dimensions (comma-separated, as in the table), the finest grain it keeps, whether it
 * keeps quarters, and whether it keeps running totals (src/db/stats/maintenance.ts): the cubes whose
 * cells have events in most months, where a running total costs about one row per cell and month.
 */
export interface Cube {
  dimensions: string;
  finest: FinestGrain;
  quarters?: boolean;
  runningTotals?: boolean;
}

/** Cubes of the certificate issuance events table (issued, expiring). */
export const CERTIFICATE_CUBES: readonly Cube[] = [
  { dimensions: 'holder,medium', finest: 'd', runningTotals: true },
  { dimensions: 'holder,medium,issuer', finest: 'd', runningTotals: true },
  { dimensions: 'holder,medium,sector', finest: 'd', runningTotals: true },
  { dimensions: 'province', finest: 'd', runningTotals: true },
  { dimensions: 'holder,medium,sector,issuer', finest: 'd', runningTotals: true },
  { dimensions: 'province,issuer', finest: 'd', runningTotals: true },
  { dimensions: 'holder,medium,province', finest: 'd', runningTotals: true },
  { dimensions: 'sector,province', finest: 'd', runningTotals: true },
  { dimensions: 'holder,medium,province,issuer', finest: 'x', runningTotals: true },
  { dimensions: 'sector,province,issuer', finest: 'x', runningTotals: true },
  { dimensions: 'holder,medium,sector,province', finest: 'x', runningTotals: true },
  { dimensions: 'holder,medium,sector,province,issuer', finest: 'x', runningTotals: true },
];

/**
 * Cubes of the transition events table (revoked, suspended): the certificate cubes, all with day
 * rows. Transitions are a few per hundred certificates, so that even the largest cube's day rows
 * stay far fewer than the certificates, and a window's edges never read the status history.
 */
export const TRANSITION_CUBES: readonly Cube[] = CERTIFICATE_CUBES.map((c) => ({ ...c, finest: 'd' }));

/** Cubes of the revocations table, smallest first (revocations are few: day rows everywhere). */
export const REVOCATION_CUBES: readonly Cube[] = [
  { dimensions: 'reason,holder,medium', finest: 'd' },
  { dimensions: 'reason,holder,medium,sector', finest: 'd' },
  { dimensions: 'reason,holder,medium,province', finest: 'd' },
  { dimensions: 'reason,holder,medium,sector,province,issuer', finest: 'd' },
];

/**
 * Cubes of issuance per organization: the organization alone (one row per organization and
 * period, for the per-organization table; quarters too, since every period is read for tens of
 * thousands of organizations), with the holder (individual or organization certificates per
 * organization, kept with running totals: over the cube with every dimension a window of several
 * years read a year row per organization and combination, 1–2 s at 10M certificates), and with
 * every certificate dimension.
 */
export const ORGANIZATION_CUBES: readonly Cube[] = [
  { dimensions: 'organization_id', finest: 'x', quarters: true, runningTotals: true },
  { dimensions: 'organization_id,holder', finest: 'm', runningTotals: true },
  { dimensions: 'organization_id,holder,medium,sector,province,issuer', finest: 'm' },
];

/** Cubes of signing accounts (far fewer than certificates: day rows everywhere). */
export const SIGNING_ACCOUNT_CUBES: readonly Cube[] = [
  { dimensions: 'sector', finest: 'd' },
  { dimensions: 'province', finest: 'd' },
  { dimensions: 'sector,province', finest: 'd' },
  { dimensions: 'organization_id,sector,province', finest: 'd' },
];

/** An aggregate table of migrations/006_stats_aggregates.ts. */
export type AggregateTable =
  | 'stats_certificates'
  | 'stats_transitions'
  | 'stats_certificates_org'
  | 'stats_revocations'
  | 'stats_signing_accounts';

/**
 * Each aggregate table's key columns, the counters it keeps (for the tables with one counter, a
 * count of their events) and its cubes: issuance events (issued, expiring), transition events,
 * issuance per organization, revocations by reason, signing accounts.
 */
export const AGGREGATES: Record<AggregateTable, { keys: readonly string[]; counters: readonly string[]; cubes: readonly Cube[] }> = {
  stats_certificates: { keys: DIMENSIONS, counters: ISSUANCE_COUNTERS, cubes: CERTIFICATE_CUBES },
  stats_transitions: { keys: DIMENSIONS, counters: TRANSITION_COUNTERS, cubes: TRANSITION_CUBES },
  stats_certificates_org: { keys: ['organization_id', ...DIMENSIONS], counters: ['issued'], cubes: ORGANIZATION_CUBES },
  stats_revocations: { keys: ['reason', ...DIMENSIONS], counters: ['revoked'], cubes: REVOCATION_CUBES },
  stats_signing_accounts: { keys: ['organization_id', 'sector', 'province'], counters: ['accounts'], cubes: SIGNING_ACCOUNT_CUBES },
};

/** The first (smallest) of `cubes` that keeps all `dimensions`. */
export function smallestCube(cubes: readonly Cube[], dimensions: readonly string[]): Cube {
  const cube = cubes.find((c) => dimensions.every((d) => c.dimensions.split(',').includes(d)));
  if (!cube) throw new Error(`no cube keeps ${dimensions.join(', ')}`);
  return cube;
}

/** Every dimension a cube may keep, each with its bit in a cube's code. */
const CUBE_BITS = ['organization_id', 'reason', 'holder', 'medium', 'sector', 'province', 'issuer'] as const;

/** The number a cube is stored under (column `cube`): one bit per dimension it keeps, stable when cubes are added. */
export function cubeCode(cube: Cube): number {
  return cube.dimensions.split(',').reduce((code, d) => {
    const bit = CUBE_BITS.indexOf(d as (typeof CUBE_BITS)[number]);
    if (bit < 0) throw new Error(`unknown cube dimension ${d}`);
    return code | (1 << bit);
  }, 0);
}
