import type { Knex } from 'knex';
import { CERTIFICATE_CUBES, REVOCATION_CUBES } from '../src/stats/cubes.js';
import { PROVINCE_MERGERS_2025 } from '../src/stats/provinces.js';

/*
 * Statistics at national scale: aggregate tables, so that every statistics query sums a few
 * thousand pre-counted rows instead of scanning millions of certificates. Database triggers on
 * certificates, their status changes and signing accounts (whoever writes them: issuance, import,
 * revocation, signing accounts) append the new rows' ids to `stats_pending`, in the writer's own
 * transaction; `kyso_stats_fold()`, run before each statistics query, moves what has committed
 * into the aggregates in one batch. Writers thus never wait on shared counter rows (no hot rows,
 * no deadlocks between concurrent issuers), and no event is lost or counted twice.
 *
 * Each aggregate holds three grains: `d` (one row per day), `m` (per month, period = the 1st),
 * `y` (per year, period = 1 January). A date range is answered by whole years, then whole
 * months, then the remaining days (src/stats/periods.ts). Days are Vietnam's calendar days
 * (UTC+7, no daylight saving): a certificate issued at 01:00 on 1 January, Hà Nội time, counts in
 * January although it is still 31 December in UTC.
 *
 * Status as of a date is a sum of daily events up to that day: `issued` (notBefore day),
 * `expiring` (notAfter day), `revoked` (revocation day), `expired_revoked` (the later of notAfter
 * and revocation day, so that a revoked certificate stops counting as expired), `suspended`
 * (+1 on the day a suspension starts, -1 on the day it ends by resumption, revocation or expiry).
 * States are exclusive: revoked, else expired, else suspended, else active.
 */

const DIMENSIONS = 'holder, medium, sector, province, issuer';

/** Status transitions of some status-change rows (`changes`), each with the status before it. */
const transitionsOf = (changes: string) => `
  select c.holder, c.medium, c.sector, c.province, c.issuer_dn as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(p.status, 'active') as prev_status, p.at as prev_at
  from ${changes} n
  join certificates c on c.id = n.certificate_id
  left join lateral (
    select x.status, x.at from certificate_status_changes x
    where x.certificate_id = n.certificate_id and x.id < n.id
    order by x.id desc limit 1
  ) p on true`;

/** Status transitions of the whole history. */
const HISTORY_TRANSITIONS = `
  select c.holder, c.medium, c.sector, c.province, c.issuer_dn as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(n.prev_status, 'active') as prev_status, n.prev_at
  from (
    select certificate_id, status, at, reason,
           lag(status) over w as prev_status, lag(at) over w as prev_at
    from certificate_status_changes
    window w as (partition by certificate_id order by id)
  ) n
  join certificates c on c.id = n.certificate_id`;

/** Daily events of newly recorded certificates (relation `source`: certificate rows). */
const issuanceEvents = (source: string) => `
  select kyso_stats_day(not_before) as day, ${DIMENSIONS.replace('issuer', 'issuer_dn as issuer')},
         1 as issued, 0 as expiring, 0 as revoked, 0 as expired_revoked, 0 as suspended from ${source} src
  union all
  select kyso_stats_day(not_after), ${DIMENSIONS.replace('issuer', 'issuer_dn')}, 0, 1, 0, 0, 0 from ${source} src`;

/** Daily events of status transitions (see the header comment for the arithmetic). */
const transitionEvents = (transitions: string) => `
  with t as (
    select *, kyso_stats_day(at) as day_at, kyso_stats_day(not_after) as day_exp,
           kyso_stats_day(prev_at) as day_prev from (${transitions}) tr
    where status <> prev_status and prev_status <> 'revoked'
  )
  select day_at as day, ${DIMENSIONS}, 0 as issued, 0 as expiring, 1 as revoked, 0 as expired_revoked, 0 as suspended
    from t where status = 'revoked'
  union all
  select greatest(day_at, day_exp), ${DIMENSIONS}, 0, 0, 0, 1, 0 from t where status = 'revoked'
  union all
  select day_at, ${DIMENSIONS}, 0, 0, 0, 0, 1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_exp, ${DIMENSIONS}, 0, 0, 0, 0, -1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_at, ${DIMENSIONS}, 0, 0, 0, 0, -1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp
  union all
  select day_exp, ${DIMENSIONS}, 0, 0, 0, 0, 1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp`;

/**
 * How an aggregate is written: `add` (triggers) adds to existing rows, in key order so that
 * concurrent transactions lock rows in the same order; `fill` (the rebuild) writes emptied tables.
 */
type Mode = 'add' | 'fill';

/**
 * Inserts the sums of `events` (a relation `e` with a `day` column) into an aggregate `table`,
 * once per grain (day, month, year) and, for per-cube tables, once per cube (src/stats/cubes.ts;
 * the dimensions a cube leaves out are ''), grouped by `keys`. `sums` are aggregates over the
 * events (`count(*)`, `sum(e.issued)`); events are first summed per day, then rolled up.
 */
const aggregate = (
  table: string,
  keys: readonly string[],
  sums: Record<string, string>,
  events: string,
  mode: Mode,
  cubes?: readonly string[],
) => {
  const columns = [...(cubes ? ['cube'] : []), 'grain', 'period', ...keys];
  const sumNames = Object.keys(sums);
  // grouping(k1, …) has a 1 bit for each key a grouping set leaves out (most significant first).
  const cubeOf = (c: string) => keys.reduce((bits, k) => bits * 2 + (c.split(',').includes(k) ? 0 : 1), 0);
  const cubeColumn = cubes
    ? `case grouping(${keys.map((k) => `d.${k}`).join(', ')}) ${cubes.map((c) => `when ${cubeOf(c)} then '${c}'`).join(' ')} end, `
    : '';
  const groupBy = cubes
    ? `g.grain, g.period, grouping sets (${cubes.map((c) => `(${c.split(',').map((k) => `d.${k}`).join(', ')})`).join(', ')})`
    : `g.grain, g.period, ${keys.map((k) => `d.${k}`).join(', ')}`;
  const insert = `
  insert into ${table} as s (${[...columns, ...sumNames].join(', ')})
  select ${cubeColumn}g.grain, g.period, ${keys.map((k) => (cubes ? `coalesce(d.${k}, '')` : `d.${k}`)).join(', ')},
         ${sumNames.map((n) => `sum(d.${n})`).join(', ')}
  from (select e.day, ${keys.map((k) => `e.${k}`).join(', ')}, ${sumNames.map((n) => `${sums[n]} as ${n}`).join(', ')}
        from (${events}) e group by e.day, ${keys.map((k) => `e.${k}`).join(', ')}) d
  cross join lateral (values ('d', d.day),
                             ('m', date_trunc('month', d.day::timestamp)::date),
                             ('y', date_trunc('year', d.day::timestamp)::date)) g(grain, period)
  group by ${groupBy}`;
  if (mode === 'add') {
    return `${insert} order by ${columns.map((_, i) => i + 1).join(', ')}
    on conflict (${columns.join(', ')}) do update set ${sumNames.map((n) => `${n} = s.${n} + excluded.${n}`).join(', ')}`;
  }
  // Building the key index once after the load is several times faster than maintaining it row
  // by row; rows written in key order lie together on disk, so a period range reads few pages.
  return `alter table ${table} drop constraint ${table}_pkey; ${insert} order by ${columns.map((_, i) => i + 1).join(', ')};
          alter table ${table} add primary key (${columns.join(', ')})`;
};

const DIMENSION_LIST = DIMENSIONS.split(', ');
const COUNTERS = ['issued', 'expiring', 'revoked', 'expired_revoked', 'suspended'];

/** Adds daily events (day, dimensions and the five counters) to `stats_certificates`. */
const upsertCertificateEvents = (events: string, mode: Mode) =>
  aggregate(
    'stats_certificates',
    DIMENSION_LIST,
    Object.fromEntries(COUNTERS.map((c) => [c, `sum(e.${c})`])),
    events,
    mode,
    CERTIFICATE_CUBES,
  );

/** Adds issuance per organization (relation `source`: certificate rows). */
const upsertOrganizationIssuance = (source: string, mode: Mode) =>
  aggregate(
    'stats_certificates_org',
    ['organization_id', ...DIMENSION_LIST],
    { issued: 'count(*)' },
    `select kyso_stats_day(not_before) as day, organization_id, ${DIMENSIONS.replace('issuer', 'issuer_dn as issuer')} from ${source} src`,
    mode,
  );

/** Adds revocations by reason (relation: transitions). */
const upsertRevocations = (transitions: string, mode: Mode) =>
  aggregate(
    'stats_revocations',
    ['reason', ...DIMENSION_LIST],
    { revoked: 'count(*)' },
    `select kyso_stats_day(at) as day, coalesce(reason, 'unspecified') as reason, ${DIMENSIONS}
     from (${transitions}) tr where status = 'revoked' and prev_status <> 'revoked'`,
    mode,
    REVOCATION_CUBES,
  );

/** Adds signing accounts by organization, with the sector and province their certificate recorded at issuance. */
const upsertSigningAccounts = (source: string, mode: Mode) =>
  aggregate(
    'stats_signing_accounts',
    ['organization_id', 'sector', 'province'],
    { accounts: 'count(*)' },
    `select kyso_stats_day(a.created_at) as day, a.organization_id, c.sector, c.province
     from ${source} a join certificates c on c.id = a.certificate_id`,
    mode,
  );

/** The rows of a source table whose ids the current fold took from `stats_pending`. */
const taken = (table: string, column: string) => `(select x.* from ${table} x join stats_folding f on f.${column} = x.id)`;

/**
 * The queue (`stats_pending`), the triggers that fill it and `kyso_stats_fold()`, which empties it
 * into the aggregates. Exported so that a database loaded before a change of these can be brought
 * up to date without reloading.
 */
export async function installFold(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('stats_pending'))) {
    await knex.schema.createTable('stats_pending', (t) => {
      t.bigIncrements('id').primary();
      t.uuid('certificate_id');
      t.bigInteger('status_change_id');
      t.uuid('signing_account_id');
    });
  }
  const hasAccounts = await knex.schema.hasTable('signing_accounts');
  // signing_accounts comes with migration 004 (signing accounts); guarded so that statistics migrate without it.
  const sources: Array<[string, string]> = [
    ['certificates', 'certificate_id'],
    ['certificate_status_changes', 'status_change_id'],
    ...(hasAccounts ? [['signing_accounts', 'signing_account_id'] as [string, string]] : []),
  ];
  for (const [table, column] of sources) {
    await knex.raw(`
      create or replace function kyso_stats_queue_${table}() returns trigger language plpgsql as $fn$
      begin
        insert into stats_pending (${column}) select id from new_rows;
        return null;
      end $fn$`);
    await knex.raw(`drop trigger if exists stats_queue on ${table}`);
    await knex.raw(`
      create trigger stats_queue after insert on ${table}
      referencing new table as new_rows for each statement execute function kyso_stats_queue_${table}()`);
  }
  await knex.raw(`
    create or replace function kyso_stats_fold() returns integer language plpgsql as $fn$
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
        ${upsertCertificateEvents(issuanceEvents(taken('certificates', 'certificate_id')), 'add')};
        ${upsertOrganizationIssuance(taken('certificates', 'certificate_id'), 'add')};
        ${upsertCertificateEvents(transitionEvents(transitionsOf(taken('certificate_status_changes', 'status_change_id'))), 'add')};
        ${upsertRevocations(transitionsOf(taken('certificate_status_changes', 'status_change_id')), 'add')};
        ${hasAccounts ? `${upsertSigningAccounts(taken('signing_accounts', 'signing_account_id'), 'add')};` : ''}
      end if;
      return folded;
    end $fn$`);
}

/** Aggregate tables, the queue and its triggers, the province mapping and a full rebuild function. */
export async function up(knex: Knex): Promise<void> {
  // Rows of the demo seed (scripts/seed-demo.ts) carry no real DER; flagged so nothing serves them as certificates.
  await knex.schema.alterTable('certificates', (t) => {
    t.boolean('synthetic').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('province_mappings', (t) => {
    t.text('province').primary();
    t.text('current_province').notNullable();
  });
  await knex('province_mappings').insert(
    Object.entries(PROVINCE_MERGERS_2025).flatMap(([current, merged]) =>
      merged.map((province) => ({ province, current_province: current })),
    ),
  );

  const counters = (t: Knex.CreateTableBuilder, names: string[]) => {
    for (const name of names) t.bigInteger(name).notNullable().defaultTo(0);
  };
  const grainAndPeriod = (t: Knex.CreateTableBuilder) => {
    t.specificType('grain', 'char(1)').notNullable();
    t.date('period').notNullable();
  };
  const dimensions = (t: Knex.CreateTableBuilder) => {
    // Byte order ("C"): keys are compared, not shown; the API sorts rows for people (Vietnamese collation).
    for (const d of DIMENSION_LIST) t.specificType(d, 'text collate "C"').notNullable();
  };
  const cube = (t: Knex.CreateTableBuilder) => t.specificType('cube', 'text collate "C"').notNullable();
  await knex.schema.createTable('stats_certificates', (t) => {
    cube(t);
    grainAndPeriod(t);
    dimensions(t);
    counters(t, COUNTERS);
    t.primary(['cube', 'grain', 'period', ...DIMENSION_LIST]);
  });
  await knex.schema.createTable('stats_certificates_org', (t) => {
    grainAndPeriod(t);
    t.uuid('organization_id').notNullable();
    dimensions(t);
    counters(t, ['issued']);
    t.primary(['grain', 'period', 'organization_id', ...DIMENSION_LIST]);
  });
  await knex.schema.createTable('stats_revocations', (t) => {
    cube(t);
    grainAndPeriod(t);
    t.specificType('reason', 'text collate "C"').notNullable();
    dimensions(t);
    counters(t, ['revoked']);
    t.primary(['cube', 'grain', 'period', 'reason', ...DIMENSION_LIST]);
  });
  await knex.schema.createTable('stats_signing_accounts', (t) => {
    grainAndPeriod(t);
    t.uuid('organization_id').notNullable();
    t.specificType('sector', 'text collate "C"').notNullable();
    t.specificType('province', 'text collate "C"').notNullable();
    counters(t, ['accounts']);
    t.primary(['grain', 'period', 'organization_id', 'sector', 'province']);
  });

  // Vietnam's calendar day of an instant: UTC+7 all year since 1975.
  await knex.raw(`
    create or replace function kyso_stats_day(ts timestamptz) returns date
    language sql immutable parallel safe as $fn$ select ((ts at time zone 'UTC') + interval '7 hours')::date $fn$`);

  await installFold(knex);

  // Recomputes every aggregate from the certificates, their history and the signing accounts
  // (after a bulk load with triggers disabled, or to check the triggers' arithmetic).
  const rebuildSigningAccounts = (await knex.schema.hasTable('signing_accounts'))
    ? `${upsertSigningAccounts('signing_accounts', 'fill')};`
    : '';
  await knex.raw(`
    create or replace function kyso_stats_rebuild() returns void language plpgsql as $fn$
    begin
      truncate stats_pending, stats_certificates, stats_certificates_org, stats_revocations, stats_signing_accounts;
      ${upsertCertificateEvents(
        `select * from (${issuanceEvents('certificates')}) i union all select * from (${transitionEvents(HISTORY_TRANSITIONS)}) t`,
        'fill',
      )};
      ${upsertOrganizationIssuance('certificates', 'fill')};
      ${upsertRevocations(HISTORY_TRANSITIONS, 'fill')};
      ${rebuildSigningAccounts}
    end $fn$`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['certificates', 'certificate_status_changes', 'signing_accounts']) {
    if (await knex.schema.hasTable(table)) await knex.raw(`drop trigger if exists stats_queue on ${table}`);
    await knex.raw(`drop function if exists kyso_stats_queue_${table}()`);
  }
  for (const fn of [
    'kyso_stats_rebuild()',
    'kyso_stats_fold()',
    'kyso_stats_day(timestamptz)',
  ]) {
    await knex.raw(`drop function if exists ${fn}`);
  }
  for (const table of ['stats_pending', 'stats_signing_accounts', 'stats_revocations', 'stats_certificates_org', 'stats_certificates', 'province_mappings']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('certificates', (t) => {
    t.dropColumn('synthetic');
  });
}
