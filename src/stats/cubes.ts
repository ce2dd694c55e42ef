/**
 * The dimension subsets ("cubes") the aggregate tables are kept at (migrations/005_stats.ts), smallest
 * first. A query reads the smallest cube that holds every dimension it groups by: grouping by holder
 * and medium over ten years reads a few hundred rows, not one row per sector × province × issuer.
 *
 * Month and year rows are kept for every cube; day rows only for the cubes marked `days`, those with
 * at most a few hundred cells (a cell: one combination of the cube's dimension values), whose day
 * rows stay bounded by cells × days. The larger cubes would hold about one day row per event (the
 * aggregates grew to 3.5 GB for 1M certificates); a window's edge days there are counted from the
 * certificates themselves (src/stats/events.ts).
 */
/** A cube: its dimensions (comma-separated, as in the table) and whether it keeps day rows. */
export interface Cube {
  dimensions: string;
  days: boolean;
}

/** Cubes of the certificate events table. */
export const CERTIFICATE_CUBES: readonly Cube[] = [
  { dimensions: 'holder,medium', days: true },
  { dimensions: 'holder,medium,issuer', days: true },
  { dimensions: 'holder,medium,sector', days: true },
  { dimensions: 'province', days: true },
  { dimensions: 'holder,medium,sector,issuer', days: true },
  { dimensions: 'province,issuer', days: true },
  { dimensions: 'holder,medium,province', days: false },
  { dimensions: 'sector,province', days: false },
  { dimensions: 'holder,medium,province,issuer', days: false },
  { dimensions: 'sector,province,issuer', days: false },
  { dimensions: 'holder,medium,sector,province', days: false },
  { dimensions: 'holder,medium,sector,province,issuer', days: false },
];

/** Cubes of the revocations table, smallest first (revocations are few: day rows everywhere). */
export const REVOCATION_CUBES: readonly Cube[] = [
  { dimensions: 'reason,holder,medium', days: true },
  { dimensions: 'reason,holder,medium,sector', days: true },
  { dimensions: 'reason,holder,medium,province', days: true },
  { dimensions: 'reason,holder,medium,sector,province,issuer', days: true },
];

/**
 * Cubes of issuance per organization: the organization alone (one row per organization and month,
 * for the per-organization table), and with every certificate dimension.
 */
export const ORGANIZATION_CUBES: readonly Cube[] = [
  { dimensions: 'organization_id', days: false },
  { dimensions: 'organization_id,holder,medium,sector,province,issuer', days: false },
];

/** The first (smallest) of `cubes` that keeps all `dimensions`. */
export function smallestCube(cubes: readonly Cube[], dimensions: readonly string[]): Cube {
  const cube = cubes.find((c) => dimensions.every((d) => c.dimensions.split(',').includes(d)));
  if (!cube) throw new Error(`no cube keeps ${dimensions.join(', ')}`);
  return cube;
}
