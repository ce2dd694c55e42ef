import type { Knex } from 'knex';
import { FOLD as FOLD_006, REBUILD as REBUILD_006 } from './006_stats_aggregates.js';

/*
 * Running totals for the cubes whose cells have events in most months (src/stats/cubes.ts,
 * `runningTotals`): rows `Y` (every event before 1 January of a year) and `M` (the events of a year
 * before the 1st of a month) beside the period rows of migration 006, kept by the same fold and
 * rebuild (src/stats/maintenance.ts). A status at a cut-off date, or a window of several years,
 * then reads two rows per cell at each edge instead of one per year and month before it.
 *
 * The aggregates are rebuilt rather than the running totals added to them: added to a table that
 * vacuum has left with a little free space on every page, each new row landed on a page of its
 * own, and reading a year's 20,000 rows touched 20,000 pages (190 ms instead of 9). At 10M
 * certificates the rebuild takes 16–19 minutes on a 2-core machine.
 *
 * Frozen: literals only, no imports from src/. The fold and the rebuild below are the SQL that
 * src/stats/maintenance.ts generated when this migration was written (with running totals), byte
 * for byte; down reinstalls 006's.
 */

/** The aggregate tables. */
const AGGREGATE_TABLES = ['stats_certificates', 'stats_transitions', 'stats_certificates_org', 'stats_revocations', 'stats_signing_accounts'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(FOLD);
  await knex.raw(REBUILD);
  await knex.raw('select kyso_stats_rebuild()');
  // The planner's statistics of the rewritten tables (the first queries after an upgrade would
  // otherwise be planned on those of the old rows).
  await knex.raw(`analyze ${AGGREGATE_TABLES.join(', ')}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(FOLD_006);
  await knex.raw(REBUILD_006);
  for (const table of AGGREGATE_TABLES) await knex.raw(`delete from ${table} where grain in ('Y', 'M')`);
}

/** `kyso_stats_fold()` with running totals, as src/stats/maintenance.ts generated it. */
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
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.issued) as issued, sum(d.expiring) as expiring
    from (select date_trunc('month', e.day::timestamp)::date as day, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.issued) as issued, sum(e.expiring) as expiring from days e group by 1, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (select 'M', (d.day + k * interval '1 month')::date from generate_series(1, 12 - extract(month from d.day)::int) k) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.issued) as issued, sum(d.expiring) as expiring
    from (select date_trunc('year', e.day::timestamp)::date as day, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.issued) as issued, sum(e.expiring) as expiring from days e group by 1, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (select 'Y', t::date from generate_series(d.day + interval '1 year', (select max(period) from stats_certificates where cube = 12 and grain = 'Y'), interval '1 year') t) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer))) r
  order by r.cube, r.grain collate "C", r.period, r.holder collate "C", r.medium collate "C", r.sector collate "C", r.province collate "C", r.issuer
  on conflict (cube, grain, period, holder, medium, sector, province, issuer) do update set issued = s.issued + excluded.issued, expiring = s.expiring + excluded.expiring
  ;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (select * from stats_certificates where grain = 'y' and cube in (12, 76, 28, 32, 92, 96, 44, 48, 108, 112, 60, 124) and (select max(period) + interval '1 year' from stats_certificates where cube = 12 and grain = 'y') > coalesce((select max(period) from stats_certificates where cube = 12 and grain = 'Y'), '-infinity')) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce((select max(period) from stats_certificates where cube = 12 and grain = 'Y') + interval '1 year', '-infinity')), coalesce(r.next, (select max(period) + interval '1 year' from stats_certificates where cube = 12 and grain = 'y')), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
        
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
    group by g.grain, g.period, grouping sets ((d.organization_id), (d.organization_id, d.holder), (d.organization_id, d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.organization_id, d.holder) when 1 then 1 when 0 then 5 end)::smallint as cube, g.grain, g.period, d.organization_id, coalesce(d.holder, ''::text) as holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
           sum(d.issued) as issued
    from (select date_trunc('month', e.day::timestamp)::date as day, e.organization_id, e.holder, sum(e.issued) as issued from days e group by 1, e.organization_id, e.holder) d cross join lateral (select 'M', (d.day + k * interval '1 month')::date from generate_series(1, 12 - extract(month from d.day)::int) k) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.organization_id), (d.organization_id, d.holder)) union all select (case grouping(d.organization_id, d.holder) when 1 then 1 when 0 then 5 end)::smallint as cube, g.grain, g.period, d.organization_id, coalesce(d.holder, ''::text) as holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
           sum(d.issued) as issued
    from (select date_trunc('year', e.day::timestamp)::date as day, e.organization_id, e.holder, sum(e.issued) as issued from days e group by 1, e.organization_id, e.holder) d cross join lateral (select 'Y', t::date from generate_series(d.day + interval '1 year', (select max(period) from stats_certificates_org where cube = 1 and grain = 'Y'), interval '1 year') t) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.organization_id), (d.organization_id, d.holder))) r
  order by r.cube, r.grain collate "C", r.period, r.organization_id, r.holder collate "C", r.medium collate "C", r.sector collate "C", r.province collate "C", r.issuer
  on conflict (cube, grain, period, organization_id, holder, medium, sector, province, issuer) do update set issued = s.issued + excluded.issued
  ;

  insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
  select r.cube, 'Y', t::date, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued
  from (
    select cube, organization_id, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, lead(period) over w as next
    from (select * from stats_certificates_org where grain = 'y' and cube in (1, 5) and (select max(period) + interval '1 year' from stats_certificates_org where cube = 1 and grain = 'y') > coalesce((select max(period) from stats_certificates_org where cube = 1 and grain = 'Y'), '-infinity')) p
    window w as (partition by cube, organization_id, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce((select max(period) from stats_certificates_org where cube = 1 and grain = 'Y') + interval '1 year', '-infinity')), coalesce(r.next, (select max(period) + interval '1 year' from stats_certificates_org where cube = 1 and grain = 'y')), interval '1 year') t
  order by r.cube, 3, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer;
        
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
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.revoked) as revoked, sum(d.expired_revoked) as expired_revoked, sum(d.suspended) as suspended
    from (select date_trunc('month', e.day::timestamp)::date as day, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.revoked) as revoked, sum(e.expired_revoked) as expired_revoked, sum(e.suspended) as suspended from days e group by 1, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (select 'M', (d.day + k * interval '1 month')::date from generate_series(1, 12 - extract(month from d.day)::int) k) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer)) union all select (case grouping(d.holder, d.medium, d.sector, d.province, d.issuer) when 7 then 12 when 6 then 76 when 3 then 28 when 29 then 32 when 2 then 92 when 28 then 96 when 5 then 44 when 25 then 48 when 4 then 108 when 24 then 112 when 1 then 60 when 0 then 124 end)::smallint as cube, g.grain, g.period, coalesce(d.holder, ''::text) as holder, coalesce(d.medium, ''::text) as medium, coalesce(d.sector, ''::text) as sector, coalesce(d.province, ''::text) as province, coalesce(d.issuer, 0::smallint) as issuer,
           sum(d.revoked) as revoked, sum(d.expired_revoked) as expired_revoked, sum(d.suspended) as suspended
    from (select date_trunc('year', e.day::timestamp)::date as day, e.holder, e.medium, e.sector, e.province, e.issuer, sum(e.revoked) as revoked, sum(e.expired_revoked) as expired_revoked, sum(e.suspended) as suspended from days e group by 1, e.holder, e.medium, e.sector, e.province, e.issuer) d cross join lateral (select 'Y', t::date from generate_series(d.day + interval '1 year', (select max(period) from stats_transitions where cube = 12 and grain = 'Y'), interval '1 year') t) g(grain, period)
    group by g.grain, g.period, grouping sets ((d.holder, d.medium), (d.holder, d.medium, d.issuer), (d.holder, d.medium, d.sector), (d.province), (d.holder, d.medium, d.sector, d.issuer), (d.province, d.issuer), (d.holder, d.medium, d.province), (d.sector, d.province), (d.holder, d.medium, d.province, d.issuer), (d.sector, d.province, d.issuer), (d.holder, d.medium, d.sector, d.province), (d.holder, d.medium, d.sector, d.province, d.issuer))) r
  order by r.cube, r.grain collate "C", r.period, r.holder collate "C", r.medium collate "C", r.sector collate "C", r.province collate "C", r.issuer
  on conflict (cube, grain, period, holder, medium, sector, province, issuer) do update set revoked = s.revoked + excluded.revoked, expired_revoked = s.expired_revoked + excluded.expired_revoked, suspended = s.suspended + excluded.suspended
  ;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (select * from stats_transitions where grain = 'y' and cube in (12, 76, 28, 32, 92, 96, 44, 48, 108, 112, 60, 124) and (select max(period) + interval '1 year' from stats_transitions where cube = 12 and grain = 'y') > coalesce((select max(period) from stats_transitions where cube = 12 and grain = 'Y'), '-infinity')) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce((select max(period) from stats_transitions where cube = 12 and grain = 'Y') + interval '1 year', '-infinity')), coalesce(r.next, (select max(period) + interval '1 year' from stats_transitions where cube = 12 and grain = 'y')), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
        
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

/** `kyso_stats_rebuild()` with running totals, as src/stats/maintenance.ts generated it. */
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 124::smallint as cube, holder, medium, sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_124 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 124::smallint as cube, holder, medium, sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_124 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 92::smallint as cube, holder, medium, sector, ''::text as province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_92 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 92::smallint as cube, holder, medium, sector, ''::text as province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_92 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 108::smallint as cube, holder, medium, ''::text as sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_108 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 108::smallint as cube, holder, medium, ''::text as sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_108 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 60::smallint as cube, holder, medium, sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_60 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 60::smallint as cube, holder, medium, sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_60 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 76::smallint as cube, holder, medium, ''::text as sector, ''::text as province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_76 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 76::smallint as cube, holder, medium, ''::text as sector, ''::text as province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_76 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 28::smallint as cube, holder, medium, sector, ''::text as province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_28 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 28::smallint as cube, holder, medium, sector, ''::text as province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_28 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 44::smallint as cube, holder, medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_44 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 44::smallint as cube, holder, medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_44 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 112::smallint as cube, ''::text as holder, ''::text as medium, sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_112 f group by date_trunc('year', f.day::timestamp)::date, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 112::smallint as cube, ''::text as holder, ''::text as medium, sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_112 f group by date_trunc('month', f.day::timestamp)::date, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 12::smallint as cube, holder, medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_12 f group by date_trunc('year', f.day::timestamp)::date, holder, medium) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 12::smallint as cube, holder, medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_12 f group by date_trunc('month', f.day::timestamp)::date, holder, medium) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 96::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_96 f group by date_trunc('year', f.day::timestamp)::date, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 96::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_96 f group by date_trunc('month', f.day::timestamp)::date, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 48::smallint as cube, ''::text as holder, ''::text as medium, sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_48 f group by date_trunc('year', f.day::timestamp)::date, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 48::smallint as cube, ''::text as holder, ''::text as medium, sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_48 f group by date_trunc('month', f.day::timestamp)::date, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 32::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_32 f group by date_trunc('year', f.day::timestamp)::date, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates (cube, grain, period, holder, medium, sector, province, issuer, issued, expiring)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued, r.expiring
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, sum(expiring) over w as expiring, lead(period) over w as next
    from (
        select 32::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued, sum(expiring) as expiring
        from stats_fill_32 f group by date_trunc('month', f.day::timestamp)::date, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 124::smallint as cube, holder, medium, sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_124 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 124::smallint as cube, holder, medium, sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_124 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 92::smallint as cube, holder, medium, sector, ''::text as province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_92 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 92::smallint as cube, holder, medium, sector, ''::text as province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_92 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 108::smallint as cube, holder, medium, ''::text as sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_108 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 108::smallint as cube, holder, medium, ''::text as sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_108 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 60::smallint as cube, holder, medium, sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_60 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 60::smallint as cube, holder, medium, sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_60 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 76::smallint as cube, holder, medium, ''::text as sector, ''::text as province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_76 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 76::smallint as cube, holder, medium, ''::text as sector, ''::text as province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_76 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 28::smallint as cube, holder, medium, sector, ''::text as province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_28 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, sector) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 28::smallint as cube, holder, medium, sector, ''::text as province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_28 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, sector) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 44::smallint as cube, holder, medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_44 f group by date_trunc('year', f.day::timestamp)::date, holder, medium, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 44::smallint as cube, holder, medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_44 f group by date_trunc('month', f.day::timestamp)::date, holder, medium, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 112::smallint as cube, ''::text as holder, ''::text as medium, sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_112 f group by date_trunc('year', f.day::timestamp)::date, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 112::smallint as cube, ''::text as holder, ''::text as medium, sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_112 f group by date_trunc('month', f.day::timestamp)::date, sector, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 12::smallint as cube, holder, medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_12 f group by date_trunc('year', f.day::timestamp)::date, holder, medium) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 12::smallint as cube, holder, medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_12 f group by date_trunc('month', f.day::timestamp)::date, holder, medium) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 96::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_96 f group by date_trunc('year', f.day::timestamp)::date, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 96::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_96 f group by date_trunc('month', f.day::timestamp)::date, province, issuer) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 48::smallint as cube, ''::text as holder, ''::text as medium, sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_48 f group by date_trunc('year', f.day::timestamp)::date, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 48::smallint as cube, ''::text as holder, ''::text as medium, sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_48 f group by date_trunc('month', f.day::timestamp)::date, sector, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'Y', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 32::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_32 f group by date_trunc('year', f.day::timestamp)::date, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_transitions (cube, grain, period, holder, medium, sector, province, issuer, revoked, expired_revoked, suspended)
  select r.cube, 'M', t::date, r.holder, r.medium, r.sector, r.province, r.issuer, r.revoked, r.expired_revoked, r.suspended
  from (
    select cube, holder, medium, sector, province, issuer, period, sum(revoked) over w as revoked, sum(expired_revoked) over w as expired_revoked, sum(suspended) over w as suspended, lead(period) over w as next
    from (
        select 32::smallint as cube, ''::text as holder, ''::text as medium, ''::text as sector, province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(revoked) as revoked, sum(expired_revoked) as expired_revoked, sum(suspended) as suspended
        from stats_fill_32 f group by date_trunc('month', f.day::timestamp)::date, province) p
    window w as (partition by cube, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
  select r.cube, 'Y', t::date, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued
  from (
    select cube, organization_id, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, lead(period) over w as next
    from (
        select 5::smallint as cube, organization_id, holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued
        from stats_fill_5 f group by date_trunc('year', f.day::timestamp)::date, organization_id, holder) p
    window w as (partition by cube, organization_id, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
  select r.cube, 'M', t::date, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued
  from (
    select cube, organization_id, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, lead(period) over w as next
    from (
        select 5::smallint as cube, organization_id, holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued
        from stats_fill_5 f group by date_trunc('month', f.day::timestamp)::date, organization_id, holder) p
    window w as (partition by cube, organization_id, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer;
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

  insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
  select r.cube, 'Y', t::date, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued
  from (
    select cube, organization_id, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, lead(period) over w as next
    from (
        select 1::smallint as cube, organization_id, ''::text as holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('year', f.day::timestamp)::date as period, sum(issued) as issued
        from stats_fill_1 f group by date_trunc('year', f.day::timestamp)::date, organization_id) p
    window w as (partition by cube, organization_id, holder, medium, sector, province, issuer order by period)
  ) r
  cross join lateral generate_series(greatest(r.period + interval '1 year', coalesce(null::date + interval '1 year', '-infinity')), coalesce(r.next, (select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)), interval '1 year') t
  order by r.cube, 3, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer;

  insert into stats_certificates_org (cube, grain, period, organization_id, holder, medium, sector, province, issuer, issued)
  select r.cube, 'M', t::date, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer, r.issued
  from (
    select cube, organization_id, holder, medium, sector, province, issuer, period, sum(issued) over w as issued, lead(period) over w as next
    from (
        select 1::smallint as cube, organization_id, ''::text as holder, ''::text as medium, ''::text as sector, ''::text as province, 0::smallint as issuer,
               date_trunc('month', f.day::timestamp)::date as period, sum(issued) as issued
        from stats_fill_1 f group by date_trunc('month', f.day::timestamp)::date, organization_id) p
    window w as (partition by cube, organization_id, holder, medium, sector, province, issuer, date_trunc('year', period) order by period)
  ) r
  cross join lateral generate_series(r.period + interval '1 month', coalesce(r.next, date_trunc('year', r.period) + interval '11 months'), interval '1 month') t
  order by r.cube, 3, r.organization_id, r.holder, r.medium, r.sector, r.province, r.issuer;
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
