import type { Knex } from 'knex';

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
 *
 * Frozen: literals only, no imports from src/. The fold and the rebuild below are the SQL that
 * src/stats/maintenance.ts generated when this migration was written (without running totals),
 * byte for byte; a later layout is installed by a later migration (see 008_stats_layout.ts).
 */

/** The dimensions of the certificate aggregates' keys. */
const DIMENSIONS = ['holder', 'medium', 'sector', 'province', 'issuer'];
/** The counters of the issuance and transition aggregates. */
const ISSUANCE_COUNTERS = ['issued', 'expiring'];
const TRANSITION_COUNTERS = ['revoked', 'expired_revoked', 'suspended'];
/** The aggregate tables. */
const AGGREGATE_TABLES = ['stats_certificates', 'stats_transitions', 'stats_certificates_org', 'stats_revocations', 'stats_signing_accounts'];

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
  await knex.raw(FOLD);
}

/** `kyso_stats_rebuild()`, which recomputes every aggregate. */
async function installRebuild(knex: Knex): Promise<void> {
  await knex.raw(REBUILD);
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

/** `kyso_stats_fold()` of this layout (no running totals), as src/stats/maintenance.ts generated it. */
export const FOLD = `
    create or replace function kyso_stats_fold() returns integer language plpgsql
    -- The planner's estimates for these statements (grouping sets, windows over the year rows)
    -- start JIT compilation: 0.3–1 s per statement, for folds that take milliseconds.
    set jit = off
    as $fn$
    declare folded integer;
    begin
      -- the common case, nothing queued: no lock, no temporary table
      if not exists (select 1 from stats_pending) then
        return 0;
      end if;
      -- one fold at a time; writers never wait for it, they only append to stats_pending
      perform pg_advisory_xact_lock(hashtext('kyso_stats_fold'));
      create temp table if not exists stats_folding (certificate_id uuid, status_change_id bigint, signing_account_id uuid) on commit drop;
      truncate stats_folding;
      with t as (delete from stats_pending returning certificate_id, status_change_id, signing_account_id)
        insert into stats_folding select * from t;
      get diagnostics folded = row_count;
      if folded > 0 then
        insert into stats_issuers (dn) select distinct c.issuer_dn from (select x.* from certificates x join stats_folding f on f.certificate_id = x.id) c order by 1 on conflict (dn) do nothing;
        
  with days as materialized (
  select e.day, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         sum(e.issued) as issued, sum(e.expiring) as expiring
  from (
  select kyso_stats_day(src.not_before) as day, src.holder, src.medium, src.sector, src.province, si.code as issuer,
         1 as issued, 0 as expiring from (select x.* from certificates x join stats_folding f on f.certificate_id = x.id) src join stats_issuers si on si.dn = src.issuer_dn union all 
  select kyso_stats_day(src.not_after) as day, src.holder, src.medium, src.sector, src.province, si.code as issuer, 0 as issued, 1 as expiring from (select x.* from certificates x join stats_folding f on f.certificate_id = x.id) src join stats_issuers si on si.dn = src.issuer_dn) e group by 2, 3, 4, 5, 6, 1)
  insert into stats_certificates as s (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select * from (select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.issued) as issued, sum(d.expiring) as expiring
    from days d cross join lateral (values ('d', d.day)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province)) union all select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, d.province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.issued) as issued, sum(d.expiring) as expiring
    from (select date_trunc('month', e.day::timestamp)::date + least((extract(day from e.day)::int - 1) / 10, 2) * 10 as day, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.issued) as issued, sum(e.expiring) as expiring from days e group by 1, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (values ('x', d.day)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.issued) as issued, sum(d.expiring) as expiring
    from (select date_trunc('month', e.day::timestamp)::date as day, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.issued) as issued, sum(e.expiring) as expiring from days e group by 1, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (values ('m', d.day), ('y', date_trunc('year', d.day::timestamp)::date)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer))) r
  order by r.cube, r.grain collate "C", r.period, r.holder collate "C", r.medium collate "C", r.sector collate "C", r.province collate "C", r.issuer
  on conflict (cube, grain, period, holder, medium, sector, province, issuer) do update set issued = s.issued + excluded.issued, expiring = s.expiring + excluded.expiring
  ;
        
  with days as materialized (
  select e.day, e.organization_id, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         count(*) as issued
  from (select kyso_stats_day(src.not_before) as day, src.organization_id, src.holder, src.medium, src.sector, src.province, si.code as issuer from (select x.* from certificates x join stats_folding f on f.certificate_id = x.id) src join stats_issuers si on si.dn = src.issuer_dn) e group by 2, 3, 4, 5, 6, 7, 1)
  insert into stats_certificates_org as s (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
  select * from (select 1::smallint as cube, g.grain, g.period, d.organization_id, ''::text as holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
           sum(d.issued) as issued
    from (select date_trunc('month', e.day::timestamp)::date + least((extract(day from e.day)::int - 1) / 10, 2) * 10 as day, e.organization_id, sum(e.issued) as issued from days e group by 1, e.organization_id) d cross join lateral (values ('x', d.day)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.organization_id)) union all select 1::smallint as cube, g.grain, g.period, d.organization_id, ''::text as holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
           sum(d.issued) as issued
    from (select date_trunc('quarter', e.day::timestamp)::date as day, e.organization_id, sum(e.issued) as issued from days e group by 1, e.organization_id) d cross join lateral (values ('q', d.day)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.organization_id)) union all select (case grouping(d.organization_id, d.holder, d.medium, d.sector, d.province, d.issuer) when 31 then 1 when 15 then 5 when 0 then 125 end)::smallint as cube, g.grain, g.period, d.organization_id, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.issued) as issued
    from (select date_trunc('month', e.day::timestamp)::date as day, e.organization_id, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.issued) as issued from days e group by 1, e.organization_id, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (values ('m', d.day), ('y', date_trunc('year', d.day::timestamp)::date)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.organization_id), (d.organization_id, d.holder), (d.organization_id, d.holder, d.medium, d.sector, d.province, d.issuer))) r
  order by r.cube, r.grain collate "C", r.period, r.organization_id, r.holder collate "C", r.medium collate "C", r.sector collate "C", r.province collate "C", r.issuer
  on conflict (cube, grain, period, organization_id, holder, medium, sector, province, issuer) do update set issued = s.issued + excluded.issued
  ;
        
  with days as materialized (
  select e.day, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         sum(e.revoked) as revoked, sum(e.expired_revoked) as expired_revoked, sum(e.suspended) as suspended
  from (
  with t as (
    select *, kyso_stats_day(at) as day_at, kyso_stats_day(not_after) as day_exp,
           kyso_stats_day(prev_at) as day_prev from (
  select c.holder, c.medium, c.sector, c.province, si.code as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(p.status, 'active') as prev_status, p.at as prev_at
  from (select x.* from certificate_status_changes x join stats_folding f on f.status_change_id = x.id) n
  join certificates c on c.id = n.certificate_id
  join stats_issuers si on si.dn = c.issuer_dn
  left join lateral (
    select x.status, x.at from certificate_status_changes x
    where x.certificate_id = n.certificate_id and x.id < n.id
    order by x.id desc limit 1
  ) p on true) tr
    where status <> prev_status and prev_status <> 'revoked'
  )
  select day_at as day, holder, medium, sector, province, issuer, 1 as revoked, 0 as expired_revoked, 0 as suspended from t where status = 'revoked'
  union all
  select greatest(day_at, day_exp), holder, medium, sector, province, issuer, 0, 1, 0 from t where status = 'revoked'
  union all
  select day_at, holder, medium, sector, province, issuer, 0, 0, 1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_exp, holder, medium, sector, province, issuer, 0, 0, -1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_at, holder, medium, sector, province, issuer, 0, 0, -1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp
  union all
  select day_exp, holder, medium, sector, province, issuer, 0, 0, 1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp) e group by 2, 3, 4, 5, 6, 1)
  insert into stats_transitions as s (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select * from (select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.revoked) as revoked, sum(d.expired_revoked) as expired_revoked, sum(d.suspended) as suspended
    from days d cross join lateral (values ('d', d.day)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.revoked) as revoked, sum(d.expired_revoked) as expired_revoked, sum(d.suspended) as suspended
    from (select date_trunc('month', e.day::timestamp)::date as day, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.revoked) as revoked, sum(e.expired_revoked) as expired_revoked, sum(e.suspended) as suspended from days e group by 1, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (values ('m', d.day), ('y', date_trunc('year', d.day::timestamp)::date)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer))) r
  order by r.cube, r.grain collate "C", r.period, r.holder collate "C", r.medium collate "C", r.sector collate "C", r.province collate "C", r.issuer
  on conflict (cube, grain, period, holder, medium, sector, province, issuer) do update set revoked = s.revoked + excluded.revoked, expired_revoked = s.expired_revoked + excluded.expired_revoked, suspended = s.suspended + excluded.suspended
  ;
        
  with days as materialized (
  select e.day, e.reason collate "C" as reason, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         count(*) as revoked
  from (select kyso_stats_day(at) as day, coalesce(reason, 'unspecified') as reason, holder, medium, sector, province, issuer
   from (
  select c.holder, c.medium, c.sector, c.province, si.code as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(p.status, 'active') as prev_status, p.at as prev_at
  from (select x.* from certificate_status_changes x join stats_folding f on f.status_change_id = x.id) n
  join certificates c on c.id = n.certificate_id
  join stats_issuers si on si.dn = c.issuer_dn
  left join lateral (
    select x.status, x.at from certificate_status_changes x
    where x.certificate_id = n.certificate_id and x.id < n.id
    order by x.id desc limit 1
  ) p on true) tr where status = 'revoked' and prev_status <> 'revoked') e group by 2, 3, 4, 5, 6, 7, 1)
  insert into stats_revocations as s (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
  select * from (select (case grouping(d.reason, d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 14 when 3 then 30 when 5 then 46 when 0 then 126 end)::smallint as cube, g.grain, g.period, d.reason, d.holder, d.medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.revoked) as revoked
    from days d cross join lateral (values ('d', d.day)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.reason, d.holder, d.medium), (d.reason, d.holder, d.medium, d.sector), (d.reason, d.holder, d.medium, d.province), (d.reason, d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.reason, d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 14 when 3 then 30 when 5 then 46 when 0 then 126 end)::smallint as cube, g.grain, g.period, d.reason, d.holder, d.medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.revoked) as revoked
    from (select date_trunc('month', e.day::timestamp)::date as day, e.reason, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.revoked) as revoked from days e group by 1, e.reason, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (values ('m', d.day), ('y', date_trunc('year', d.day::timestamp)::date)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.reason, d.holder, d.medium), (d.reason, d.holder, d.medium, d.sector), (d.reason, d.holder, d.medium, d.province), (d.reason, d.holder, d.medium, d.sector, d.province, d.issuer))) r
  order by r.cube, r.grain collate "C", r.period, r.reason collate "C", r.holder collate "C", r.medium collate "C", r.sector collate "C", r.province collate "C", r.issuer
  on conflict (cube, grain, period, reason, holder, medium, sector, province, issuer) do update set revoked = s.revoked + excluded.revoked
  ;
        
  with days as materialized (
  select e.day, e.organization_id, e.sector collate "C" as sector, e.province collate "C" as province,
         count(*) as accounts
  from (select kyso_stats_day(a.created_at) as day, a.organization_id, c.sector, c.province
   from (select x.* from signing_accounts x join stats_folding f on f.signing_account_id = x.id) a join certificates c on c.id = a.certificate_id) e group by 2, 3, 4, 1)
  insert into stats_signing_accounts as s (cube, grain, period, organization_id, sector, province, accounts)
  select * from (select (case grouping(d.organization_id, d.sector, d.province) when 5 then 16 when 6 then 32 when 4 then 48 when 0 then 49 end)::smallint as cube, g.grain, g.period, coalesce(d.organization_id, '00000000-0000-0000-0000-000000000000'::uuid) as organization_id, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province,
           sum(d.accounts) as accounts
    from days d cross join lateral (values ('d', d.day)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.sector), (d.province), (d.sector, d.province), (d.organization_id, d.sector, d.province)) union all select (case grouping(d.organization_id, d.sector, d.province) when 5 then 16 when 6 then 32 when 4 then 48 when 0 then 49 end)::smallint as cube, g.grain, g.period, coalesce(d.organization_id, '00000000-0000-0000-0000-000000000000'::uuid) as organization_id, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province,
           sum(d.accounts) as accounts
    from (select date_trunc('month', e.day::timestamp)::date as day, e.organization_id, e.sector, e.province, sum(e.accounts) as accounts from days e group by 1, e.organization_id, e.sector, e.province) d cross join lateral (values ('m', d.day), ('y', date_trunc('year', d.day::timestamp)::date)) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.sector), (d.province), (d.sector, d.province), (d.organization_id, d.sector, d.province))) r
  order by r.cube, r.grain collate "C", r.period, r.organization_id, r.sector collate "C", r.province collate "C"
  on conflict (cube, grain, period, organization_id, sector, province) do update set accounts = s.accounts + excluded.accounts
  ;
      end if;
      return folded;
    end $fn$`;

/** `kyso_stats_rebuild()` of this layout (no running totals), as src/stats/maintenance.ts generated it. */
export const REBUILD = `
    create or replace function kyso_stats_rebuild() returns void language plpgsql as $fn$
    begin
      truncate stats_pending, stats_certificates, stats_transitions, stats_certificates_org, stats_revocations, stats_signing_accounts;
      insert into stats_issuers (dn) select distinct c.issuer_dn from certificates c order by 1 on conflict (dn) do nothing;
      alter table stats_certificates drop constraint stats_certificates_pkey;
drop table if exists stats_fill_days;
create temporary table stats_fill_days on commit drop as 
  select e.day, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         sum(e.issued) as issued, sum(e.expiring) as expiring
  from (
  select kyso_stats_day(src.not_before) as day, src.holder, src.medium, src.sector, src.province, si.code as issuer,
         1 as issued, 0 as expiring from certificates src join stats_issuers si on si.dn = src.issuer_dn union all 
  select kyso_stats_day(src.not_after) as day, src.holder, src.medium, src.sector, src.province, si.code as issuer, 0 as issued, 1 as expiring from certificates src join stats_issuers si on si.dn = src.issuer_dn) e group by 2, 3, 4, 5, 6, 1;
analyze stats_fill_days;
drop table if exists stats_fill_124;
create temporary table stats_fill_124 on commit drop as
       select date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10 as day, holder, medium, sector, province, issuer, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_days f group by date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10, holder, medium, sector, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 124, 'x', f.day, holder, medium, sector, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_124 f group by f.day, holder, medium, sector, province, issuer order by f.day, holder, medium, sector, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 124, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_124 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 124, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_124 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer;
drop table if exists stats_fill_92;
create temporary table stats_fill_92 on commit drop as
       select f.day as day, holder, medium, sector, issuer, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_days f group by f.day, holder, medium, sector, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 92, 'd', f.day, holder, medium, sector, ''::text, issuer,
             sum(issued), sum(expiring)
      from stats_fill_92 f group by f.day, holder, medium, sector, issuer order by f.day, holder, medium, sector, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 92, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, ''::text, issuer,
             sum(issued), sum(expiring)
      from stats_fill_92 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 92, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, ''::text, issuer,
             sum(issued), sum(expiring)
      from stats_fill_92 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, issuer;
drop table if exists stats_fill_108;
create temporary table stats_fill_108 on commit drop as
       select date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10 as day, holder, medium, province, issuer, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_124 f group by date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10, holder, medium, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 108, 'x', f.day, holder, medium, ''::text, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_108 f group by f.day, holder, medium, province, issuer order by f.day, holder, medium, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 108, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_108 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 108, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_108 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, province, issuer;
drop table if exists stats_fill_60;
create temporary table stats_fill_60 on commit drop as
       select date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10 as day, holder, medium, sector, province, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_124 f group by date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10, holder, medium, sector, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 60, 'x', f.day, holder, medium, sector, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_60 f group by f.day, holder, medium, sector, province order by f.day, holder, medium, sector, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 60, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_60 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 60, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_60 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province;
drop table if exists stats_fill_76;
create temporary table stats_fill_76 on commit drop as
       select f.day as day, holder, medium, issuer, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_92 f group by f.day, holder, medium, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 76, 'd', f.day, holder, medium, ''::text, ''::text, issuer,
             sum(issued), sum(expiring)
      from stats_fill_76 f group by f.day, holder, medium, issuer order by f.day, holder, medium, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 76, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, ''::text, issuer,
             sum(issued), sum(expiring)
      from stats_fill_76 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 76, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, ''::text, issuer,
             sum(issued), sum(expiring)
      from stats_fill_76 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, issuer;
drop table if exists stats_fill_28;
create temporary table stats_fill_28 on commit drop as
       select f.day as day, holder, medium, sector, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_92 f group by f.day, holder, medium, sector;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 28, 'd', f.day, holder, medium, sector, ''::text, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_28 f group by f.day, holder, medium, sector order by f.day, holder, medium, sector;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 28, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, ''::text, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_28 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 28, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, ''::text, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_28 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector;
drop table if exists stats_fill_44;
create temporary table stats_fill_44 on commit drop as
       select f.day as day, holder, medium, province, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_days f group by f.day, holder, medium, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 44, 'd', f.day, holder, medium, ''::text, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_44 f group by f.day, holder, medium, province order by f.day, holder, medium, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 44, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_44 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province order by date_trunc('month', f.day::timestamp)::date, holder, medium, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 44, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_44 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province order by date_trunc('year', f.day::timestamp)::date, holder, medium, province;
drop table if exists stats_fill_112;
create temporary table stats_fill_112 on commit drop as
       select date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10 as day, sector, province, issuer, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_124 f group by date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10, sector, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 112, 'x', f.day, ''::text, ''::text, sector, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_112 f group by f.day, sector, province, issuer order by f.day, sector, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 112, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, sector, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_112 f group by date_trunc('month', f.day::timestamp)::date, sector, province, issuer order by date_trunc('month', f.day::timestamp)::date, sector, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 112, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, sector, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_112 f group by date_trunc('year', f.day::timestamp)::date, sector, province, issuer order by date_trunc('year', f.day::timestamp)::date, sector, province, issuer;
drop table if exists stats_fill_12;
create temporary table stats_fill_12 on commit drop as
       select f.day as day, holder, medium, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_76 f group by f.day, holder, medium;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 12, 'd', f.day, holder, medium, ''::text, ''::text, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_12 f group by f.day, holder, medium order by f.day, holder, medium;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 12, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, ''::text, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_12 f group by date_trunc('month', f.day::timestamp)::date, holder, medium order by date_trunc('month', f.day::timestamp)::date, holder, medium;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 12, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, ''::text, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_12 f group by date_trunc('year', f.day::timestamp)::date, holder, medium order by date_trunc('year', f.day::timestamp)::date, holder, medium;
drop table if exists stats_fill_96;
create temporary table stats_fill_96 on commit drop as
       select f.day as day, province, issuer, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_days f group by f.day, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 96, 'd', f.day, ''::text, ''::text, ''::text, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_96 f group by f.day, province, issuer order by f.day, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 96, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_96 f group by date_trunc('month', f.day::timestamp)::date, province, issuer order by date_trunc('month', f.day::timestamp)::date, province, issuer;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 96, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, issuer,
             sum(issued), sum(expiring)
      from stats_fill_96 f group by date_trunc('year', f.day::timestamp)::date, province, issuer order by date_trunc('year', f.day::timestamp)::date, province, issuer;
drop table if exists stats_fill_48;
create temporary table stats_fill_48 on commit drop as
       select f.day as day, sector, province, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_days f group by f.day, sector, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 48, 'd', f.day, ''::text, ''::text, sector, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_48 f group by f.day, sector, province order by f.day, sector, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 48, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, sector, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_48 f group by date_trunc('month', f.day::timestamp)::date, sector, province order by date_trunc('month', f.day::timestamp)::date, sector, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 48, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, sector, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_48 f group by date_trunc('year', f.day::timestamp)::date, sector, province order by date_trunc('year', f.day::timestamp)::date, sector, province;
drop table if exists stats_fill_32;
create temporary table stats_fill_32 on commit drop as
       select f.day as day, province, sum(issued) as issued, sum(expiring) as expiring
       from stats_fill_96 f group by f.day, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 32, 'd', f.day, ''::text, ''::text, ''::text, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_32 f group by f.day, province order by f.day, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 32, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_32 f group by date_trunc('month', f.day::timestamp)::date, province order by date_trunc('month', f.day::timestamp)::date, province;

      insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
      select 32, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, 0::smallint,
             sum(issued), sum(expiring)
      from stats_fill_32 f group by date_trunc('year', f.day::timestamp)::date, province order by date_trunc('year', f.day::timestamp)::date, province;
drop table stats_fill_124;
drop table stats_fill_92;
drop table stats_fill_108;
drop table stats_fill_60;
drop table stats_fill_76;
drop table stats_fill_28;
drop table stats_fill_44;
drop table stats_fill_112;
drop table stats_fill_12;
drop table stats_fill_96;
drop table stats_fill_48;
drop table stats_fill_32;
drop table stats_fill_days;
alter table stats_certificates add primary key (cube, grain, period, holder, medium, sector, province, issuer);
      alter table stats_transitions drop constraint stats_transitions_pkey;
drop table if exists stats_fill_days;
create temporary table stats_fill_days on commit drop as 
  select e.day, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         sum(e.revoked) as revoked, sum(e.expired_revoked) as expired_revoked, sum(e.suspended) as suspended
  from (
  with t as (
    select *, kyso_stats_day(at) as day_at, kyso_stats_day(not_after) as day_exp,
           kyso_stats_day(prev_at) as day_prev from (
  select c.holder, c.medium, c.sector, c.province, si.code as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(n.prev_status, 'active') as prev_status, n.prev_at
  from (
    select certificate_id, status, at, reason,
           lag(status) over w as prev_status, lag(at) over w as prev_at
    from certificate_status_changes
    window w as (partition by certificate_id order by id)
  ) n
  join certificates c on c.id = n.certificate_id
  join stats_issuers si on si.dn = c.issuer_dn) tr
    where status <> prev_status and prev_status <> 'revoked'
  )
  select day_at as day, holder, medium, sector, province, issuer, 1 as revoked, 0 as expired_revoked, 0 as suspended from t where status = 'revoked'
  union all
  select greatest(day_at, day_exp), holder, medium, sector, province, issuer, 0, 1, 0 from t where status = 'revoked'
  union all
  select day_at, holder, medium, sector, province, issuer, 0, 0, 1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_exp, holder, medium, sector, province, issuer, 0, 0, -1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_at, holder, medium, sector, province, issuer, 0, 0, -1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp
  union all
  select day_exp, holder, medium, sector, province, issuer, 0, 0, 1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp) e group by 2, 3, 4, 5, 6, 1;
analyze stats_fill_days;
drop table if exists stats_fill_124;
create temporary table stats_fill_124 on commit drop as
       select f.day as day, holder, medium, sector, province, issuer, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_days f group by f.day, holder, medium, sector, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 124, 'd', f.day, holder, medium, sector, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_124 f group by f.day, holder, medium, sector, province, issuer order by f.day, holder, medium, sector, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 124, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_124 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 124, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_124 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer;
drop table if exists stats_fill_92;
create temporary table stats_fill_92 on commit drop as
       select f.day as day, holder, medium, sector, issuer, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_124 f group by f.day, holder, medium, sector, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 92, 'd', f.day, holder, medium, sector, ''::text, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_92 f group by f.day, holder, medium, sector, issuer order by f.day, holder, medium, sector, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 92, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, ''::text, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_92 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 92, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, ''::text, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_92 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, issuer;
drop table if exists stats_fill_108;
create temporary table stats_fill_108 on commit drop as
       select f.day as day, holder, medium, province, issuer, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_124 f group by f.day, holder, medium, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 108, 'd', f.day, holder, medium, ''::text, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_108 f group by f.day, holder, medium, province, issuer order by f.day, holder, medium, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 108, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_108 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 108, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_108 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, province, issuer;
drop table if exists stats_fill_60;
create temporary table stats_fill_60 on commit drop as
       select f.day as day, holder, medium, sector, province, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_124 f group by f.day, holder, medium, sector, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 60, 'd', f.day, holder, medium, sector, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_60 f group by f.day, holder, medium, sector, province order by f.day, holder, medium, sector, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 60, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_60 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 60, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_60 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province;
drop table if exists stats_fill_76;
create temporary table stats_fill_76 on commit drop as
       select f.day as day, holder, medium, issuer, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_92 f group by f.day, holder, medium, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 76, 'd', f.day, holder, medium, ''::text, ''::text, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_76 f group by f.day, holder, medium, issuer order by f.day, holder, medium, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 76, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, ''::text, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_76 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, issuer order by date_trunc('month', f.day::timestamp)::date, holder, medium, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 76, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, ''::text, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_76 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, issuer order by date_trunc('year', f.day::timestamp)::date, holder, medium, issuer;
drop table if exists stats_fill_28;
create temporary table stats_fill_28 on commit drop as
       select f.day as day, holder, medium, sector, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_92 f group by f.day, holder, medium, sector;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 28, 'd', f.day, holder, medium, sector, ''::text, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_28 f group by f.day, holder, medium, sector order by f.day, holder, medium, sector;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 28, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, sector, ''::text, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_28 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector order by date_trunc('month', f.day::timestamp)::date, holder, medium, sector;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 28, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, sector, ''::text, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_28 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector order by date_trunc('year', f.day::timestamp)::date, holder, medium, sector;
drop table if exists stats_fill_44;
create temporary table stats_fill_44 on commit drop as
       select f.day as day, holder, medium, province, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_108 f group by f.day, holder, medium, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 44, 'd', f.day, holder, medium, ''::text, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_44 f group by f.day, holder, medium, province order by f.day, holder, medium, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 44, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_44 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province order by date_trunc('month', f.day::timestamp)::date, holder, medium, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 44, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_44 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province order by date_trunc('year', f.day::timestamp)::date, holder, medium, province;
drop table if exists stats_fill_112;
create temporary table stats_fill_112 on commit drop as
       select f.day as day, sector, province, issuer, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_124 f group by f.day, sector, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 112, 'd', f.day, ''::text, ''::text, sector, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_112 f group by f.day, sector, province, issuer order by f.day, sector, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 112, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, sector, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_112 f group by date_trunc('month', f.day::timestamp)::date, sector, province, issuer order by date_trunc('month', f.day::timestamp)::date, sector, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 112, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, sector, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_112 f group by date_trunc('year', f.day::timestamp)::date, sector, province, issuer order by date_trunc('year', f.day::timestamp)::date, sector, province, issuer;
drop table if exists stats_fill_12;
create temporary table stats_fill_12 on commit drop as
       select f.day as day, holder, medium, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_76 f group by f.day, holder, medium;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 12, 'd', f.day, holder, medium, ''::text, ''::text, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_12 f group by f.day, holder, medium order by f.day, holder, medium;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 12, 'm', date_trunc('month', f.day::timestamp)::date, holder, medium, ''::text, ''::text, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_12 f group by date_trunc('month', f.day::timestamp)::date, holder, medium order by date_trunc('month', f.day::timestamp)::date, holder, medium;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 12, 'y', date_trunc('year', f.day::timestamp)::date, holder, medium, ''::text, ''::text, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_12 f group by date_trunc('year', f.day::timestamp)::date, holder, medium order by date_trunc('year', f.day::timestamp)::date, holder, medium;
drop table if exists stats_fill_96;
create temporary table stats_fill_96 on commit drop as
       select f.day as day, province, issuer, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_112 f group by f.day, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 96, 'd', f.day, ''::text, ''::text, ''::text, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_96 f group by f.day, province, issuer order by f.day, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 96, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_96 f group by date_trunc('month', f.day::timestamp)::date, province, issuer order by date_trunc('month', f.day::timestamp)::date, province, issuer;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 96, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, issuer,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_96 f group by date_trunc('year', f.day::timestamp)::date, province, issuer order by date_trunc('year', f.day::timestamp)::date, province, issuer;
drop table if exists stats_fill_48;
create temporary table stats_fill_48 on commit drop as
       select f.day as day, sector, province, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_112 f group by f.day, sector, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 48, 'd', f.day, ''::text, ''::text, sector, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_48 f group by f.day, sector, province order by f.day, sector, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 48, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, sector, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_48 f group by date_trunc('month', f.day::timestamp)::date, sector, province order by date_trunc('month', f.day::timestamp)::date, sector, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 48, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, sector, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_48 f group by date_trunc('year', f.day::timestamp)::date, sector, province order by date_trunc('year', f.day::timestamp)::date, sector, province;
drop table if exists stats_fill_32;
create temporary table stats_fill_32 on commit drop as
       select f.day as day, province, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
       from stats_fill_96 f group by f.day, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 32, 'd', f.day, ''::text, ''::text, ''::text, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_32 f group by f.day, province order by f.day, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 32, 'm', date_trunc('month', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_32 f group by date_trunc('month', f.day::timestamp)::date, province order by date_trunc('month', f.day::timestamp)::date, province;

      insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
      select 32, 'y', date_trunc('year', f.day::timestamp)::date, ''::text, ''::text, ''::text, province, 0::smallint,
             sum(revoked), sum(expired_revoked), sum(suspended)
      from stats_fill_32 f group by date_trunc('year', f.day::timestamp)::date, province order by date_trunc('year', f.day::timestamp)::date, province;
drop table stats_fill_124;
drop table stats_fill_92;
drop table stats_fill_108;
drop table stats_fill_60;
drop table stats_fill_76;
drop table stats_fill_28;
drop table stats_fill_44;
drop table stats_fill_112;
drop table stats_fill_12;
drop table stats_fill_96;
drop table stats_fill_48;
drop table stats_fill_32;
drop table stats_fill_days;
alter table stats_transitions add primary key (cube, grain, period, holder, medium, sector, province, issuer);
      alter table stats_certificates_org drop constraint stats_certificates_org_pkey;
drop table if exists stats_fill_days;
create temporary table stats_fill_days on commit drop as 
  select e.day, e.organization_id, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         count(*) as issued
  from (select kyso_stats_day(src.not_before) as day, src.organization_id, src.holder, src.medium, src.sector, src.province, si.code as issuer from certificates src join stats_issuers si on si.dn = src.issuer_dn) e group by 2, 3, 4, 5, 6, 7, 1;
analyze stats_fill_days;
drop table if exists stats_fill_125;
create temporary table stats_fill_125 on commit drop as
       select date_trunc('month', f.day::timestamp)::date as day, organization_id, holder, medium, sector, province, issuer, sum(issued) as issued
       from stats_fill_days f group by date_trunc('month', f.day::timestamp)::date, organization_id, holder, medium, sector, province, issuer;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 125, 'm', date_trunc('month', f.day::timestamp)::date, organization_id, holder, medium, sector, province, issuer,
             sum(issued)
      from stats_fill_125 f group by date_trunc('month', f.day::timestamp)::date, organization_id, holder, medium, sector, province, issuer order by date_trunc('month', f.day::timestamp)::date, organization_id, holder, medium, sector, province, issuer;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 125, 'y', date_trunc('year', f.day::timestamp)::date, organization_id, holder, medium, sector, province, issuer,
             sum(issued)
      from stats_fill_125 f group by date_trunc('year', f.day::timestamp)::date, organization_id, holder, medium, sector, province, issuer order by date_trunc('year', f.day::timestamp)::date, organization_id, holder, medium, sector, province, issuer;
drop table if exists stats_fill_5;
create temporary table stats_fill_5 on commit drop as
       select date_trunc('month', f.day::timestamp)::date as day, organization_id, holder, sum(issued) as issued
       from stats_fill_125 f group by date_trunc('month', f.day::timestamp)::date, organization_id, holder;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 5, 'm', date_trunc('month', f.day::timestamp)::date, organization_id, holder, ''::text, ''::text, ''::text, 0::smallint,
             sum(issued)
      from stats_fill_5 f group by date_trunc('month', f.day::timestamp)::date, organization_id, holder order by date_trunc('month', f.day::timestamp)::date, organization_id, holder;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 5, 'y', date_trunc('year', f.day::timestamp)::date, organization_id, holder, ''::text, ''::text, ''::text, 0::smallint,
             sum(issued)
      from stats_fill_5 f group by date_trunc('year', f.day::timestamp)::date, organization_id, holder order by date_trunc('year', f.day::timestamp)::date, organization_id, holder;
drop table if exists stats_fill_1;
create temporary table stats_fill_1 on commit drop as
       select date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10 as day, organization_id, sum(issued) as issued
       from stats_fill_days f group by date_trunc('month', f.day::timestamp)::date + least((extract(day from f.day)::int - 1) / 10, 2) * 10, organization_id;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 1, 'x', f.day, organization_id, ''::text, ''::text, ''::text, ''::text, 0::smallint,
             sum(issued)
      from stats_fill_1 f group by f.day, organization_id order by f.day, organization_id;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 1, 'm', date_trunc('month', f.day::timestamp)::date, organization_id, ''::text, ''::text, ''::text, ''::text, 0::smallint,
             sum(issued)
      from stats_fill_1 f group by date_trunc('month', f.day::timestamp)::date, organization_id order by date_trunc('month', f.day::timestamp)::date, organization_id;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 1, 'q', date_trunc('quarter', f.day::timestamp)::date, organization_id, ''::text, ''::text, ''::text, ''::text, 0::smallint,
             sum(issued)
      from stats_fill_1 f group by date_trunc('quarter', f.day::timestamp)::date, organization_id order by date_trunc('quarter', f.day::timestamp)::date, organization_id;

      insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
      select 1, 'y', date_trunc('year', f.day::timestamp)::date, organization_id, ''::text, ''::text, ''::text, ''::text, 0::smallint,
             sum(issued)
      from stats_fill_1 f group by date_trunc('year', f.day::timestamp)::date, organization_id order by date_trunc('year', f.day::timestamp)::date, organization_id;
drop table stats_fill_125;
drop table stats_fill_5;
drop table stats_fill_1;
drop table stats_fill_days;
alter table stats_certificates_org add primary key (cube, grain, period, organization_id, holder, medium, sector, province, issuer);
      alter table stats_revocations drop constraint stats_revocations_pkey;
drop table if exists stats_fill_days;
create temporary table stats_fill_days on commit drop as 
  select e.day, e.reason collate "C" as reason, e.holder collate "C" as holder, e.medium collate "C" as medium, e.sector collate "C" as sector, e.province collate "C" as province, e.issuer,
         count(*) as revoked
  from (select kyso_stats_day(at) as day, coalesce(reason, 'unspecified') as reason, holder, medium, sector, province, issuer
   from (
  select c.holder, c.medium, c.sector, c.province, si.code as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(n.prev_status, 'active') as prev_status, n.prev_at
  from (
    select certificate_id, status, at, reason,
           lag(status) over w as prev_status, lag(at) over w as prev_at
    from certificate_status_changes
    window w as (partition by certificate_id order by id)
  ) n
  join certificates c on c.id = n.certificate_id
  join stats_issuers si on si.dn = c.issuer_dn) tr where status = 'revoked' and prev_status <> 'revoked') e group by 2, 3, 4, 5, 6, 7, 1;
analyze stats_fill_days;
drop table if exists stats_fill_126;
create temporary table stats_fill_126 on commit drop as
       select f.day as day, reason, holder, medium, sector, province, issuer, sum(revoked) as revoked
       from stats_fill_days f group by f.day, reason, holder, medium, sector, province, issuer;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 126, 'd', f.day, reason, holder, medium, sector, province, issuer,
             sum(revoked)
      from stats_fill_126 f group by f.day, reason, holder, medium, sector, province, issuer order by f.day, reason, holder, medium, sector, province, issuer;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 126, 'm', date_trunc('month', f.day::timestamp)::date, reason, holder, medium, sector, province, issuer,
             sum(revoked)
      from stats_fill_126 f group by date_trunc('month', f.day::timestamp)::date, reason, holder, medium, sector, province, issuer order by date_trunc('month', f.day::timestamp)::date, reason, holder, medium, sector, province, issuer;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 126, 'y', date_trunc('year', f.day::timestamp)::date, reason, holder, medium, sector, province, issuer,
             sum(revoked)
      from stats_fill_126 f group by date_trunc('year', f.day::timestamp)::date, reason, holder, medium, sector, province, issuer order by date_trunc('year', f.day::timestamp)::date, reason, holder, medium, sector, province, issuer;
drop table if exists stats_fill_30;
create temporary table stats_fill_30 on commit drop as
       select f.day as day, reason, holder, medium, sector, sum(revoked) as revoked
       from stats_fill_126 f group by f.day, reason, holder, medium, sector;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 30, 'd', f.day, reason, holder, medium, sector, ''::text, 0::smallint,
             sum(revoked)
      from stats_fill_30 f group by f.day, reason, holder, medium, sector order by f.day, reason, holder, medium, sector;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 30, 'm', date_trunc('month', f.day::timestamp)::date, reason, holder, medium, sector, ''::text, 0::smallint,
             sum(revoked)
      from stats_fill_30 f group by date_trunc('month', f.day::timestamp)::date, reason, holder, medium, sector order by date_trunc('month', f.day::timestamp)::date, reason, holder, medium, sector;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 30, 'y', date_trunc('year', f.day::timestamp)::date, reason, holder, medium, sector, ''::text, 0::smallint,
             sum(revoked)
      from stats_fill_30 f group by date_trunc('year', f.day::timestamp)::date, reason, holder, medium, sector order by date_trunc('year', f.day::timestamp)::date, reason, holder, medium, sector;
drop table if exists stats_fill_46;
create temporary table stats_fill_46 on commit drop as
       select f.day as day, reason, holder, medium, province, sum(revoked) as revoked
       from stats_fill_126 f group by f.day, reason, holder, medium, province;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 46, 'd', f.day, reason, holder, medium, ''::text, province, 0::smallint,
             sum(revoked)
      from stats_fill_46 f group by f.day, reason, holder, medium, province order by f.day, reason, holder, medium, province;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 46, 'm', date_trunc('month', f.day::timestamp)::date, reason, holder, medium, ''::text, province, 0::smallint,
             sum(revoked)
      from stats_fill_46 f group by date_trunc('month', f.day::timestamp)::date, reason, holder, medium, province order by date_trunc('month', f.day::timestamp)::date, reason, holder, medium, province;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 46, 'y', date_trunc('year', f.day::timestamp)::date, reason, holder, medium, ''::text, province, 0::smallint,
             sum(revoked)
      from stats_fill_46 f group by date_trunc('year', f.day::timestamp)::date, reason, holder, medium, province order by date_trunc('year', f.day::timestamp)::date, reason, holder, medium, province;
drop table if exists stats_fill_14;
create temporary table stats_fill_14 on commit drop as
       select f.day as day, reason, holder, medium, sum(revoked) as revoked
       from stats_fill_30 f group by f.day, reason, holder, medium;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 14, 'd', f.day, reason, holder, medium, ''::text, ''::text, 0::smallint,
             sum(revoked)
      from stats_fill_14 f group by f.day, reason, holder, medium order by f.day, reason, holder, medium;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 14, 'm', date_trunc('month', f.day::timestamp)::date, reason, holder, medium, ''::text, ''::text, 0::smallint,
             sum(revoked)
      from stats_fill_14 f group by date_trunc('month', f.day::timestamp)::date, reason, holder, medium order by date_trunc('month', f.day::timestamp)::date, reason, holder, medium;

      insert into stats_revocations (cube, grain, period, reason, holder, medium, sector, province, issuer, revoked)
      select 14, 'y', date_trunc('year', f.day::timestamp)::date, reason, holder, medium, ''::text, ''::text, 0::smallint,
             sum(revoked)
      from stats_fill_14 f group by date_trunc('year', f.day::timestamp)::date, reason, holder, medium order by date_trunc('year', f.day::timestamp)::date, reason, holder, medium;
drop table stats_fill_126;
drop table stats_fill_30;
drop table stats_fill_46;
drop table stats_fill_14;
drop table stats_fill_days;
alter table stats_revocations add primary key (cube, grain, period, reason, holder, medium, sector, province, issuer);
      alter table stats_signing_accounts drop constraint stats_signing_accounts_pkey;
drop table if exists stats_fill_days;
create temporary table stats_fill_days on commit drop as 
  select e.day, e.organization_id, e.sector collate "C" as sector, e.province collate "C" as province,
         count(*) as accounts
  from (select kyso_stats_day(a.created_at) as day, a.organization_id, c.sector, c.province
   from signing_accounts a join certificates c on c.id = a.certificate_id) e group by 2, 3, 4, 1;
analyze stats_fill_days;
drop table if exists stats_fill_49;
create temporary table stats_fill_49 on commit drop as
       select f.day as day, organization_id, sector, province, sum(accounts) as accounts
       from stats_fill_days f group by f.day, organization_id, sector, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 49, 'd', f.day, organization_id, sector, province,
             sum(accounts)
      from stats_fill_49 f group by f.day, organization_id, sector, province order by f.day, organization_id, sector, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 49, 'm', date_trunc('month', f.day::timestamp)::date, organization_id, sector, province,
             sum(accounts)
      from stats_fill_49 f group by date_trunc('month', f.day::timestamp)::date, organization_id, sector, province order by date_trunc('month', f.day::timestamp)::date, organization_id, sector, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 49, 'y', date_trunc('year', f.day::timestamp)::date, organization_id, sector, province,
             sum(accounts)
      from stats_fill_49 f group by date_trunc('year', f.day::timestamp)::date, organization_id, sector, province order by date_trunc('year', f.day::timestamp)::date, organization_id, sector, province;
drop table if exists stats_fill_48;
create temporary table stats_fill_48 on commit drop as
       select f.day as day, sector, province, sum(accounts) as accounts
       from stats_fill_49 f group by f.day, sector, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 48, 'd', f.day, '00000000-0000-0000-0000-000000000000'::uuid, sector, province,
             sum(accounts)
      from stats_fill_48 f group by f.day, sector, province order by f.day, sector, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 48, 'm', date_trunc('month', f.day::timestamp)::date, '00000000-0000-0000-0000-000000000000'::uuid, sector, province,
             sum(accounts)
      from stats_fill_48 f group by date_trunc('month', f.day::timestamp)::date, sector, province order by date_trunc('month', f.day::timestamp)::date, sector, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 48, 'y', date_trunc('year', f.day::timestamp)::date, '00000000-0000-0000-0000-000000000000'::uuid, sector, province,
             sum(accounts)
      from stats_fill_48 f group by date_trunc('year', f.day::timestamp)::date, sector, province order by date_trunc('year', f.day::timestamp)::date, sector, province;
drop table if exists stats_fill_16;
create temporary table stats_fill_16 on commit drop as
       select f.day as day, sector, sum(accounts) as accounts
       from stats_fill_48 f group by f.day, sector;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 16, 'd', f.day, '00000000-0000-0000-0000-000000000000'::uuid, sector, ''::text,
             sum(accounts)
      from stats_fill_16 f group by f.day, sector order by f.day, sector;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 16, 'm', date_trunc('month', f.day::timestamp)::date, '00000000-0000-0000-0000-000000000000'::uuid, sector, ''::text,
             sum(accounts)
      from stats_fill_16 f group by date_trunc('month', f.day::timestamp)::date, sector order by date_trunc('month', f.day::timestamp)::date, sector;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 16, 'y', date_trunc('year', f.day::timestamp)::date, '00000000-0000-0000-0000-000000000000'::uuid, sector, ''::text,
             sum(accounts)
      from stats_fill_16 f group by date_trunc('year', f.day::timestamp)::date, sector order by date_trunc('year', f.day::timestamp)::date, sector;
drop table if exists stats_fill_32;
create temporary table stats_fill_32 on commit drop as
       select f.day as day, province, sum(accounts) as accounts
       from stats_fill_48 f group by f.day, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 32, 'd', f.day, '00000000-0000-0000-0000-000000000000'::uuid, ''::text, province,
             sum(accounts)
      from stats_fill_32 f group by f.day, province order by f.day, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 32, 'm', date_trunc('month', f.day::timestamp)::date, '00000000-0000-0000-0000-000000000000'::uuid, ''::text, province,
             sum(accounts)
      from stats_fill_32 f group by date_trunc('month', f.day::timestamp)::date, province order by date_trunc('month', f.day::timestamp)::date, province;

      insert into stats_signing_accounts (cube, grain, period, organization_id, sector, province, accounts)
      select 32, 'y', date_trunc('year', f.day::timestamp)::date, '00000000-0000-0000-0000-000000000000'::uuid, ''::text, province,
             sum(accounts)
      from stats_fill_32 f group by date_trunc('year', f.day::timestamp)::date, province order by date_trunc('year', f.day::timestamp)::date, province;
drop table stats_fill_49;
drop table stats_fill_48;
drop table stats_fill_16;
drop table stats_fill_32;
drop table stats_fill_days;
alter table stats_signing_accounts add primary key (cube, grain, period, organization_id, sector, province);
    end $fn$`;
