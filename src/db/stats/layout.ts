import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { AGGREGATES } from './cubes.js';
import { foldFunction, rebuildFunction } from './maintenance.js';

/*
 * The statistics layout: the aggregate tables' keys, counters and cubes (src/db/stats/cubes.ts) and
 * the fold and rebuild that keep them (src/db/stats/maintenance.ts), as this code reads and writes
 * them. Migrations install a layout as frozen SQL and record its hash in `stats_layout`
 * (migrations/008_stats_layout.ts); kyso refuses to start on a database whose layout is not the
 * code's, which would otherwise answer zero for a cube the old fold never filled.
 */

/** The SQL of the fold and the rebuild the code expects installed. */
export function statsLayoutSql(): { fold: string; rebuild: string } {
  return { fold: foldFunction(), rebuild: rebuildFunction() };
}

/** SHA-256 (hex) of the layout: the aggregates' keys, counters and cubes, the fold and the rebuild. */
export function statsLayoutHash(): string {
  const { fold, rebuild } = statsLayoutSql();
  return createHash('sha256').update(JSON.stringify({ aggregates: AGGREGATES, fold, rebuild })).digest('hex');
}

/** The installed statistics layout differs from the code's: start-up is refused. */
export class StatsLayoutMismatch extends Error {}

/**
 * Throws StatsLayoutMismatch unless the layout recorded in `stats_layout` (by the migrations) is
 * the code's.
 */
export async function checkStatsLayout(knex: Knex): Promise<void> {
  const expected = statsLayoutHash();
  const installed = (await knex('stats_layout').first('hash', 'installed_by')) as { hash: string; installed_by: string } | undefined;
  if (installed?.hash === expected) return;
  const found = installed ? `hash ${installed.hash}, installed by migrations/${installed.installed_by}` : 'none recorded';
  throw new StatsLayoutMismatch(
    `the statistics layout in the database (${found}) is not this kyso's (hash ${expected}): ` +
      'src/db/stats changed the aggregate tables, the fold or the rebuild without a migration. ' +
      'Add a migration that installs the new kyso_stats_fold() and kyso_stats_rebuild() as SQL literals, ' +
      "runs select kyso_stats_rebuild() and records the new hash in stats_layout (see migrations/008_stats_layout.ts); " +
      'until then kyso does not start, since its statistics would silently count with the old layout',
  );
}
