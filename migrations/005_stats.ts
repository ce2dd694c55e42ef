import type { Knex } from 'knex';
import { CERTIFICATE_CUBES, ORGANIZATION_CUBES, REVOCATION_CUBES, SIGNING_ACCOUNT_CUBES, type Cube } from '../src/stats/cubes.js';
import {
  COUNTERS,
  DIMENSIONS,
  HISTORY_TRANSITIONS,
  issuanceEvents,
  organizationEvents,
  transitionEvents,
  transitionsOf,
} from '../src/stats/events.js';
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
 * Each aggregate holds four grains: `d` (one row per day), `x` (per dekad, period = the 1st, 11th
 * or 21st), `m` (per month, period = the 1st), `y` (per year, period = 1 January), each per cube
 * (src/stats/cubes.ts); the small cubes keep day rows, the large ones dekad rows. A date range is
 * answered by years, months, dekads and days, each edge rounded to the nearest boundary
 * (src/stats/periods.ts), the single days of a cube without day rows counted from the certificates. Days
 * are Vietnam's calendar days (UTC+7, no daylight saving): a certificate issued at 01:00 on
 * 1 January, Hà Nội time, counts in January although it is still 31 December in UTC. The events
 * counted, and the status arithmetic, are in src/stats/events.ts.
 */

/**
 * How an aggregate is written: `add` (triggers) adds to existing rows, in key order so that
 * concurrent transactions lock rows in the same order; `fill` (the rebuild) writes emptied tables.
 */
type Mode = 'add' | 'fill';

/**
 * Inserts the sums of `events` (a relation `e` with a `day` column) into an aggregate `table`: for
 * each cube (src/stats/cubes.ts; the dimensions a cube leaves out are blank) year and month rows, and
 * day or dekad rows down to the cube's finest grain, grouped by `keys`. `sums` are aggregates over
 * the events (`count(*)`, `sum(e.issued)`); events are first summed per day and all keys, then
 * rolled up.
 */
/** The value of a key in the rows of a cube that leaves it out: '', or the nil uuid for an organization. */
const blank = (key: string) => (key === 'organization_id' ? `'00000000-0000-0000-0000-000000000000'::uuid` : `''::text`);

const aggregate = (
  table: string,
  keys: readonly string[],
  sums: Record<string, string>,
  events: string,
  mode: Mode,
  cubes: readonly Cube[],
) => {
  const columns = ['cube', 'grain', 'period', ...keys];
  const sumNames = Object.keys(sums);
  const keyList = keys.map((k) => `e.${k}`).join(', ');
  const sumList = sumNames.map((n) => `sum(e.${n}) as ${n}`).join(', ');
  /**
   * Rows of the cubes `only` at the grains `grainPeriods` (SQL `values` rows over `d.day`), from
   * the day events summed per unit (`unit`: SQL over `e.day` giving the unit's first day; null:
   * the days themselves) and the keys the cubes use.
   */
  const rollUp = (unit: string | null, grainPeriods: string, only: readonly Cube[]) => {
    const used = keys.filter((k) => only.some((c) => c.dimensions.split(',').includes(k)));
    const usedList = used.map((k) => `e.${k}`).join(', ');
    const from = unit === null ? 'days' : `(select ${unit} as day, ${usedList}, ${sumList} from days e group by 1, ${usedList})`;
    // grouping(k1, …) over the used keys has a 1 bit for each key a grouping set leaves out (most
    // significant first): it tells which cube a row belongs to.
    const cubeOf = (c: Cube) => used.reduce((bits, k) => bits * 2 + (c.dimensions.split(',').includes(k) ? 0 : 1), 0);
    const cubeColumn =
      only.length === 1
        ? `'${only[0]!.dimensions}' as cube`
        : `case grouping(${used.map((k) => `d.${k}`).join(', ')}) ${only.map((c) => `when ${cubeOf(c)} then '${c.dimensions}'`).join(' ')} end as cube`;
    const keyColumn = (k: string) =>
      !used.includes(k) ? `${blank(k)} as ${k}` : only.every((c) => c.dimensions.split(',').includes(k)) ? `d.${k}` : `coalesce(d.${k}, ${blank(k)}) as ${k}`;
    const groupingSets = only.map((c) => `(${c.dimensions.split(',').map((k) => `d.${k}`).join(', ')})`).join(', ');
    return `select ${cubeColumn}, g.grain, g.period, ${keys.map(keyColumn).join(', ')},
           ${sumNames.map((n) => `sum(d.${n}) as ${n}`).join(', ')}
    from ${from} d cross join lateral (values ${grainPeriods}) g(grain, period)
    group by g.grain, g.period, grouping sets (${groupingSets})`;
  };
  const daily = cubes.filter((c) => c.finest === 'd');
  const dekads = cubes.filter((c) => c.finest === 'x');
  const rows = [
    ...(daily.length ? [rollUp(null, "('d', d.day)", daily)] : []),
    ...(dekads.length ? [rollUp(DEKAD, "('x', d.day)", dekads)] : []),
    rollUp(`date_trunc('month', e.day::timestamp)::date`, "('m', d.day), ('y', date_trunc('year', d.day::timestamp)::date)", cubes),
  ];
  const insert = `
  with days as materialized (
    select e.day, ${keyList.split(', ').map((k) => (k === 'e.organization_id' ? k : `${k} collate "C" as ${k.slice(2)}`)).join(', ')},
           ${sumNames.map((n) => `${sums[n]} as ${n}`).join(', ')}
    from (${events}) e group by ${keys.map((_, i) => i + 2).join(', ')}, 1)
  insert into ${table} as s (${[...columns, ...sumNames].join(', ')})
  select * from (${rows.join(' union all ')}) r
  order by ${columns.map((c) => (c === 'period' || c === 'organization_id' ? `r.${c}` : `r.${c} collate "C"`)).join(', ')}`;
  if (mode === 'add') {
    return `${insert}
    on conflict (${columns.join(', ')}) do update set ${sumNames.map((n) => `${n} = s.${n} + excluded.${n}`).join(', ')}`;
  }
  // Building the key index once after the load is several times faster than maintaining it row
  // by row; rows written in key order lie together on disk, so a period range reads few pages.
  return `alter table ${table} drop constraint ${table}_pkey; ${insert};
          alter table ${table} add primary key (${columns.join(', ')})`;
};

/** The dekad (src/stats/periods.ts) of the event day `e.day`: the 1st, 11th or 21st of its month. */
const DEKAD = `date_trunc('month', e.day::timestamp)::date + least((extract(day from e.day)::int - 1) / 10, 2) * 10`;

const DIMENSION_LIST = [...DIMENSIONS];
const DIMENSION_SQL = DIMENSION_LIST.join(', ');

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
    organizationEvents(source),
    mode,
    ORGANIZATION_CUBES,
  );

/** Adds revocations by reason (relation: transitions). */
const upsertRevocations = (transitions: string, mode: Mode) =>
  aggregate(
    'stats_revocations',
    ['reason', ...DIMENSION_LIST],
    { revoked: 'count(*)' },
    `select kyso_stats_day(at) as day, coalesce(reason, 'unspecified') as reason, ${DIMENSION_SQL}
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
    SIGNING_ACCOUNT_CUBES,
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

/**
 * `kyso_stats_rebuild()`: recomputes every aggregate from the certificates, their history and the
 * signing accounts (after a bulk load with triggers disabled, or to check the triggers' arithmetic).
 * Exported, like installFold, to bring a loaded database up to date.
 */
export async function installRebuild(knex: Knex): Promise<void> {
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

/** Aggregate tables, the queue and its triggers, the province mapping and a full rebuild function. */
export async function up(knex: Knex): Promise<void> {
  // Rows of the demo seed (scripts/seed-demo.ts) carry no real DER; flagged so nothing serves them as certificates.
  await knex.schema.alterTable('certificates', (t) => {
    t.boolean('synthetic').notNullable().defaultTo(false);
    // Expiry events of the edge days of a window, counted from the certificates (src/stats/events.ts).
    t.index(['not_after']);
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

  const counters = (t: Knex.CreateTableBuilder, names: readonly string[]) => {
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
    cube(t);
    grainAndPeriod(t);
    t.uuid('organization_id').notNullable();
    dimensions(t);
    counters(t, ['issued']);
    t.primary(['cube', 'grain', 'period', 'organization_id', ...DIMENSION_LIST]);
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

  // Vietnamese alphabetical order with numbers by value, as Intl.Collator('vi', { numeric: true }):
  // the statistics sort their rows in SQL where the server has ICU (PGlite has not; they sort in Node).
  const icu = await knex.raw(`select 1 from pg_collation where collprovider = 'i' limit 1`);
  if (icu.rows.length) await knex.raw(`create collation if not exists kyso_vi (provider = icu, locale = 'vi-u-kn-true')`);

  await installFold(knex);

  await installRebuild(knex);
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
  await knex.raw('drop collation if exists kyso_vi');
  for (const table of ['stats_pending', 'stats_signing_accounts', 'stats_revocations', 'stats_certificates_org', 'stats_certificates', 'province_mappings']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('certificates', (t) => {
    t.dropIndex(['not_after']);
    t.dropColumn('synthetic');
  });
}
