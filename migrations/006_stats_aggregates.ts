import type { Knex } from 'knex';
import { DIMENSIONS, ISSUANCE_COUNTERS, TRANSITION_COUNTERS } from '../src/stats/events.js';
import { AGGREGATE_TABLES, foldFunction, rebuildFunction } from '../src/stats/maintenance.js';

/*
 * Statistics at national scale: aggregate tables, so that every statistics query sums a few
 * thousand pre-counted rows instead of scanning millions of certificates. Database triggers on
 * certificates, their status changes and signing accounts (whoever writes them: issuance, import,
 * revocation, signing accounts) append the new rows' ids to `stats_pending`, in the writer's own
 * transaction; `kyso_stats_fold()`, run before each statistics query, moves what has committed
 * into the aggregates in one batch. Writers thus never wait on shared counter rows (no hot rows,
 * no deadlocks between concurrent issuers), and no event is lost or counted twice.
 *
 * Each aggregate holds grains `d` (one row per day), `x` (per dekad, period = the 1st, 11th or
 * 21st), `m` (per month, period = the 1st), `q` (per quarter, for the organizations), `y` (per
 * year, period = 1 January), each per cube (src/stats/cubes.ts; column `cube`: its code): day rows
 * for the small cubes and for every transition cube, dekad rows for the large issuance cubes. A
 * date range is answered by years, quarters, months, dekads and days, each edge rounded to the
 * nearest boundary (src/stats/periods.ts), the single days of a cube without day rows counted from
 * the certificates. Days are Vietnam's calendar days (UTC+7, no daylight saving): a certificate
 * issued at 01:00 on 1 January, Hà Nội time, counts in January although it is still 31 December in
 * UTC. The events counted, and the status arithmetic, are in src/stats/events.ts; the SQL of the
 * fold and the rebuild in src/stats/maintenance.ts.
 *
 * Rows are narrow, since there are millions of them at national scale: the cube and the issuer
 * are small numbers (issuers: `stats_issuers`), counters 32-bit.
 *
 * This replaces the first layout (migration 005 as it was until November 2026: text cube names,
 * issuer DNs, months and days only), measured at 10M certificates: aggregates of several GB and a
 * window's edge days counted from the certificates in seconds.
 */

/**
 * The queue (`stats_pending`), the triggers that fill it and `kyso_stats_fold()`, which empties it
 * into the aggregates, registering the issuers it has not seen yet.
 */
async function installFold(knex: Knex): Promise<void> {
  await knex.schema.createTable('stats_pending', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('certificate_id');
    t.bigInteger('status_change_id');
    t.uuid('signing_account_id');
  });
  const sources: Array<[string, string]> = [
    ['certificates', 'certificate_id'],
    ['certificate_status_changes', 'status_change_id'],
    ['signing_accounts', 'signing_account_id'],
  ];
  for (const [table, column] of sources) {
    await knex.raw(`
      create or replace function kyso_stats_queue_${table}() returns trigger language plpgsql as $fn$
      begin
        insert into stats_pending (${column}) select id from new_rows;
        return null;
      end $fn$`);
    await knex.raw(`
      create trigger stats_queue after insert on ${table}
      referencing new table as new_rows for each statement execute function kyso_stats_queue_${table}()`);
  }
  await knex.raw(foldFunction({ runningTotals: false }));
}

/** `kyso_stats_rebuild()`, which recomputes every aggregate. */
async function installRebuild(knex: Knex): Promise<void> {
  await knex.raw(rebuildFunction({ runningTotals: false }));
}

/** Makes the notBefore and notAfter indexes of the certificates carry the dimensions (`covering`), or not. */
async function coveringTimeIndexes(knex: Knex, covering: boolean): Promise<void> {
  const dimensions = 'holder, medium, sector, province, issuer_dn';
  for (const [column, include] of [['not_before', `${dimensions}, organization_id`], ['not_after', dimensions]] as const) {
    await knex.raw(`drop index if exists certificates_${column}_index`);
    await knex.raw(`create index certificates_${column}_index on certificates (${column})${covering ? ` include (${include})` : ''}`);
  }
}

/** Drops the aggregates, the queue and their functions (this migration's, or the first layout's). */
async function dropAggregates(knex: Knex): Promise<void> {
  for (const table of ['certificates', 'certificate_status_changes', 'signing_accounts']) {
    if (await knex.schema.hasTable(table)) await knex.raw(`drop trigger if exists stats_queue on ${table}`);
    await knex.raw(`drop function if exists kyso_stats_queue_${table}()`);
  }
  await knex.raw('drop function if exists kyso_stats_rebuild()');
  await knex.raw('drop function if exists kyso_stats_fold()');
  for (const table of ['stats_pending', ...AGGREGATE_TABLES, 'stats_issuers']) await knex.schema.dropTableIfExists(table);
}

/** The aggregate tables, the issuer codes, the queue and its triggers, the fold and the rebuild. */
export async function up(knex: Knex): Promise<void> {
  await dropAggregates(knex);
  // The collation the first layout sorted with in SQL; kyso sorts for people itself now (src/stats/stats.ts).
  await knex.raw('drop collation if exists kyso_vi');

  // A window's edge days count issued and expiring events from the certificates: the time indexes
  // carry the dimensions, so that they are read from the index alone, not from the table's pages.
  await coveringTimeIndexes(knex, true);

  await knex.schema.createTable('stats_issuers', (t) => {
    t.specificType('code', 'smallint generated always as identity').primary();
    t.text('dn').notNullable().unique();
  });
  const counters = (t: Knex.CreateTableBuilder, names: readonly string[]) => {
    for (const name of names) t.integer(name).notNullable();
  };
  const key = (t: Knex.CreateTableBuilder, columns: readonly string[]) => {
    t.smallint('cube').notNullable();
    t.specificType('grain', 'char(1)').notNullable();
    t.date('period').notNullable();
    for (const c of columns) {
      if (c === 'organization_id') t.uuid(c).notNullable();
      // Issuer code, 0 in the cubes that leave the issuer out.
      else if (c === 'issuer') t.smallint(c).notNullable();
      // Byte order ("C"): keys are compared, not shown; kyso sorts rows for people.
      else t.specificType(c, 'text collate "C"').notNullable();
    }
    t.primary(['cube', 'grain', 'period', ...columns]);
  };
  await knex.schema.createTable('stats_certificates', (t) => {
    key(t, DIMENSIONS);
    counters(t, ISSUANCE_COUNTERS);
  });
  await knex.schema.createTable('stats_transitions', (t) => {
    key(t, DIMENSIONS);
    counters(t, TRANSITION_COUNTERS);
  });
  await knex.schema.createTable('stats_certificates_org', (t) => {
    key(t, ['organization_id', ...DIMENSIONS]);
    counters(t, ['issued']);
  });
  await knex.schema.createTable('stats_revocations', (t) => {
    key(t, ['reason', ...DIMENSIONS]);
    counters(t, ['revoked']);
  });
  await knex.schema.createTable('stats_signing_accounts', (t) => {
    key(t, ['organization_id', 'sector', 'province']);
    counters(t, ['accounts']);
  });

  // Rows by organization carry its name, from a cache in kyso that this version invalidates.
  await knex.schema.createTable('organizations_version', (t) => {
    t.boolean('id').primary().defaultTo(true);
    t.bigInteger('version').notNullable();
    t.check('id', [], 'organizations_version_single_row');
  });
  await knex('organizations_version').insert({ id: true, version: 0 });
  await knex.raw(`
    create function kyso_organizations_changed() returns trigger language plpgsql as $fn$
    begin
      update organizations_version set version = version + 1;
      return null;
    end $fn$`);
  await knex.raw(`
    create trigger organizations_version after insert or update or delete or truncate on organizations
    for each statement execute function kyso_organizations_changed()`);

  await installFold(knex);
  await installRebuild(knex);
  await knex.raw('select kyso_stats_rebuild()');
}

export async function down(knex: Knex): Promise<void> {
  await dropAggregates(knex);
  await knex.raw('drop trigger if exists organizations_version on organizations');
  await knex.raw('drop function if exists kyso_organizations_changed()');
  await knex.schema.dropTableIfExists('organizations_version');
  await coveringTimeIndexes(knex, false);
}
