import type { Knex } from 'knex';
import { installFold, installRebuild } from './005_stats.js';

/*
 * Statistics at national scale, second step (measured at 10M certificates: a window's edge days
 * counted from the certificates took seconds): the large cubes keep dekad rows, a window's edges
 * round to the nearest boundary (src/stats/cubes.ts, src/stats/periods.ts), the signing accounts
 * are kept per cube, and an index holds only the status changes that are transitions, so that
 * the edge days no longer read the first 'active' of every certificate issued in them.
 */

const TRANSITIONS_INDEX = 'certificate_status_changes_transitions';
const SIGNING_ACCOUNTS_KEY = ['grain', 'period', 'organization_id', 'sector', 'province'];

export async function up(knex: Knex): Promise<void> {
  // A resumption is recorded with the CRL reason removeFromCRL (RFC 5280 §5.3.1: released from
  // hold), which sets it apart from a certificate's first 'active' (reason null).
  await knex.raw(`
    update certificate_status_changes x set reason = 'removeFromCRL'
    where x.status = 'active' and x.reason is null
      and exists (select 1 from certificate_status_changes y where y.certificate_id = x.certificate_id and y.id < x.id)`);
  await knex.raw(`create index ${TRANSITIONS_INDEX} on certificate_status_changes (at) where status <> 'active' or reason = 'removeFromCRL'`);

  await knex.schema.alterTable('stats_signing_accounts', (t) => {
    t.dropPrimary();
    t.specificType('cube', 'text collate "C"').notNullable().defaultTo('');
  });
  await knex.schema.alterTable('stats_signing_accounts', (t) => t.primary(['cube', ...SIGNING_ACCOUNTS_KEY]));
  await knex.raw('alter table stats_signing_accounts alter column cube drop default');

  await installFold(knex);
  await installRebuild(knex);
  await knex.raw('select kyso_stats_rebuild()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop index if exists ${TRANSITIONS_INDEX}`);
  await knex.raw(`update certificate_status_changes set reason = null where status = 'active' and reason = 'removeFromCRL'`);
  await knex('stats_signing_accounts').whereNot({ cube: 'organization_id,sector,province' }).delete();
  await knex.schema.alterTable('stats_signing_accounts', (t) => {
    t.dropPrimary();
    t.dropColumn('cube');
  });
  await knex.schema.alterTable('stats_signing_accounts', (t) => t.primary(SIGNING_ACCOUNTS_KEY));
}
