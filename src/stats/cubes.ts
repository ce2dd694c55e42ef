/**
 * The dimension subsets ("cubes") the aggregate tables are kept at (migrations/005_stats.ts), smallest
 * first. A query reads the smallest cube that holds every dimension it groups by: grouping by holder
 * and medium over ten years reads a few hundred rows, not one row per sector × province × issuer.
 */
export const CERTIFICATE_CUBES = [
  'holder,medium',
  'holder,medium,issuer',
  'holder,medium,sector',
  'holder,medium,sector,issuer',
  'holder,medium,province',
  'holder,medium,province,issuer',
  'holder,medium,sector,province',
  'holder,medium,sector,province,issuer',
] as const;

/** Cubes of the revocations table, smallest first. */
export const REVOCATION_CUBES = [
  'reason,holder,medium',
  'reason,holder,medium,sector',
  'reason,holder,medium,province',
  'reason,holder,medium,sector,province,issuer',
] as const;

/** The first (smallest) of `cubes` that keeps all `dimensions`. */
export function smallestCube(cubes: readonly string[], dimensions: readonly string[]): string {
  const cube = cubes.find((c) => dimensions.every((d) => c.split(',').includes(d)));
  if (!cube) throw new Error(`no cube keeps ${dimensions.join(', ')}`);
  return cube;
}
