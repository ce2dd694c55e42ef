import type { Knex } from 'knex';
import {
  CERTIFICATE_CUBES,
  cubeCode,
  ORGANIZATION_CUBES,
  REVOCATION_CUBES,
  SIGNING_ACCOUNT_CUBES,
  TRANSITION_CUBES,
  type Cube,
} from '../src/stats/cubes.js';
import {
  DIMENSIONS,
  ISSUANCE_COUNTERS,
  TRANSITION_COUNTERS,
  HISTORY_TRANSITIONS,
  issuanceEvents,
  organizationEvents,
  transitionEvents,
  transitionsOf,
} from '../src/stats/events.js';

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
 * UTC. The events counted, and the status arithmetic, are in src/stats/events.ts.
 *
 * Rows are narrow, since there are millions of them at national scale: the cube and the issuer
 * are small numbers (issuers: `stats_issuers`), counters 32-bit.
 *
 * This replaces the first layout (migration 005 as it was until November 2026: text cube names,
 * issuer DNs, months and days only), measured at 10M certificates: aggregates of several GB and a
 * window's edge days counted from the certificates in seconds.
 */

/**
 * How an aggregate is written: `add` (the fold) adds a batch of events to existing rows, in one
 * statement, in key order so that concurrent transactions lock rows in the same order; `fill` (the
 * rebuild) writes emptied tables from every event, one cube at a time.
 */
type Mode = 'add' | 'fill';

/** The value of a key in the rows of a cube that leaves it out: '', issuer 0, the nil uuid for an organization. */
const blank = (key: string) =>
  key === 'organization_id' ? `'00000000-0000-0000-0000-000000000000'::uuid` : key === 'issuer' ? '0::smallint' : `''::text`;

/** Key columns that are not text (no collation). */
const NOT_TEXT = new Set(['cube', 'period', 'organization_id', 'issuer']);

/**
 * Adds the sums of `events` (a relation `e` with a `day` column) to an aggregate `table`: for each
 * cube (src/stats/cubes.ts; the dimensions a cube leaves out are blank) year and month rows, and
 * day or dekad rows down to the cube's finest grain, grouped by `keys`. `sums` are aggregates over
 * the events (`count(*)`, `sum(e.issued)`); events are first summed per day and all keys, then
 * rolled up, every cube in one statement (grouping sets).
 */
const aggregate = (
  table: string,
  keys: readonly string[],
  sums: Record<string, string>,
  events: string,
  mode: Mode,
  cubes: readonly Cube[],
): string => {
  if (mode === 'fill') return fill(table, keys, sums, events, cubes);
  const columns = ['cube', 'grain', 'period', ...keys];
  const sumNames = Object.keys(sums);
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
        ? `${cubeCode(only[0]!)}::smallint as cube`
        : `(case grouping(${used.map((k) => `d.${k}`).join(', ')}) ${only.map((c) => `when ${cubeOf(c)} then ${cubeCode(c)}`).join(' ')} end)::smallint as cube`;
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
  const quarterly = cubes.filter((c) => c.quarters);
  const rows = [
    ...(daily.length ? [rollUp(null, "('d', d.day)", daily)] : []),
    ...(dekads.length ? [rollUp(dekadOf('e.day'), "('x', d.day)", dekads)] : []),
    ...(quarterly.length ? [rollUp(quarterOf('e.day'), "('q', d.day)", quarterly)] : []),
    rollUp(monthOf('e.day'), `('m', d.day), ('y', ${yearOf('d.day')})`, cubes),
  ];
  return `
  with days as materialized (${daySums(keys, sums, events)})
  insert into ${table} as s (${[...columns, ...sumNames].join(', ')})
  select * from (${rows.join(' union all ')}) r
  order by ${columns.map((c) => (NOT_TEXT.has(c) ? `r.${c}` : `r.${c} collate "C"`)).join(', ')}
  on conflict (${columns.join(', ')}) do update set ${sumNames.map((n) => `${n} = s.${n} + excluded.${n}`).join(', ')}`;
};

/** The events summed per day and keys (text keys in byte order). */
const daySums = (keys: readonly string[], sums: Record<string, string>, events: string) => `
  select e.day, ${keys.map((k) => (NOT_TEXT.has(k) ? `e.${k}` : `e.${k} collate "C" as ${k}`)).join(', ')},
         ${Object.entries(sums).map(([n, sql]) => `${sql} as ${n}`).join(', ')}
  from (${events}) e group by ${keys.map((_, i) => i + 2).join(', ')}, 1`;

/** Whether rows at grain `have` can be summed into rows at grain `need` (days into anything, dekads into months). */
const finerOrSame = (have: Cube['finest'], need: Cube['finest']) => have === 'd' || have === need || (have === 'x' && need === 'm');

/**
 * Refills an emptied aggregate `table` from every event: the events summed per day and keys into a
 * temporary table once, then each cube's finest rows from the smallest cube already summed that
 * holds its dimensions (or from the day sums), coarser grains from those — one cube and grain at a
 * time, aggregates small enough for memory, where one statement with every cube's grouping sets
 * spilled gigabytes to disk. Rows are written in key order, so that a period range of a cube lies
 * on few pages; the key index is built once, at the end.
 */
const fill = (table: string, keys: readonly string[], sums: Record<string, string>, events: string, cubes: readonly Cube[]) => {
  const columns = ['cube', 'grain', 'period', ...keys];
  const sumNames = Object.keys(sums);
  const dimensionsOf = (cube: Cube) => cube.dimensions.split(',');
  const statements = [
    `alter table ${table} drop constraint ${table}_pkey`,
    'drop table if exists stats_fill_days',
    `create temporary table stats_fill_days on commit drop as ${daySums(keys, sums, events)}`,
    'analyze stats_fill_days',
  ];
  const summed: Cube[] = [];
  const temporary = (cube: Cube) => `stats_fill_${cubeCode(cube)}`;
  // Larger cubes first, so that smaller ones can be summed from them.
  for (const cube of [...cubes].sort((a, b) => dimensionsOf(b).length - dimensionsOf(a).length)) {
    const used = keys.filter((k) => dimensionsOf(cube).includes(k));
    const source = summed
      .filter((c) => used.every((k) => dimensionsOf(c).includes(k)) && finerOrSame(c.finest, cube.finest))
      .sort((a, b) => dimensionsOf(a).length - dimensionsOf(b).length)[0];
    const finest = { d: 'f.day', x: dekadOf('f.day'), m: monthOf('f.day') }[cube.finest];
    const at = (grain: string, period: string) => `
      insert into ${table} (${[...columns, ...sumNames].join(', ')})
      select ${cubeCode(cube)}, '${grain}', ${period}, ${keys.map((k) => (used.includes(k) ? k : blank(k))).join(', ')},
             ${sumNames.map((n) => `sum(${n})`).join(', ')}
      from ${temporary(cube)} f group by ${[period, ...used].join(', ')} order by ${[period, ...used].join(', ')}`;
    statements.push(
      `drop table if exists ${temporary(cube)}`,
      `create temporary table ${temporary(cube)} on commit drop as
       select ${finest} as day, ${used.join(', ')}, ${sumNames.map((n) => `sum(${n}) as ${n}`).join(', ')}
       from ${source ? temporary(source) : 'stats_fill_days'} f group by ${[finest, ...used].join(', ')}`,
      ...(cube.finest === 'm' ? [] : [at(cube.finest, 'f.day')]),
      at('m', monthOf('f.day')),
      ...(cube.quarters ? [at('q', quarterOf('f.day'))] : []),
      at('y', yearOf('f.day')),
    );
    summed.push(cube);
  }
  statements.push(
    ...summed.map((cube) => `drop table ${temporary(cube)}`),
    'drop table stats_fill_days',
    `alter table ${table} add primary key (${columns.join(', ')})`,
  );
  return statements.join(';\n');
};

/** The dekad (src/stats/periods.ts) of a day (SQL date): the 1st, 11th or 21st of its month. */
const dekadOf = (day: string) => `date_trunc('month', ${day}::timestamp)::date + least((extract(day from ${day})::int - 1) / 10, 2) * 10`;
/** The first day of the month of a day (SQL date). */
const monthOf = (day: string) => `date_trunc('month', ${day}::timestamp)::date`;
/** The first day of the quarter of a day (SQL date). */
const quarterOf = (day: string) => `date_trunc('quarter', ${day}::timestamp)::date`;
/** The first day of the year of a day (SQL date). */
const yearOf = (day: string) => `date_trunc('year', ${day}::timestamp)::date`;

const DIMENSION_LIST = [...DIMENSIONS];
const DIMENSION_SQL = DIMENSION_LIST.join(', ');

/** Adds issued and expiring events (relation `source`: certificate rows) to `stats_certificates`. */
const upsertIssuanceEvents = (source: string, mode: Mode) =>
  aggregate(
    'stats_certificates',
    DIMENSION_LIST,
    Object.fromEntries(ISSUANCE_COUNTERS.map((c) => [c, `sum(e.${c})`])),
    issuanceEvents(source),
    mode,
    CERTIFICATE_CUBES,
  );

/** Adds the events of status transitions (relation: transitions) to `stats_transitions`. */
const upsertTransitionEvents = (transitions: string, mode: Mode) =>
  aggregate(
    'stats_transitions',
    DIMENSION_LIST,
    Object.fromEntries(TRANSITION_COUNTERS.map((c) => [c, `sum(e.${c})`])),
    transitionEvents(transitions),
    mode,
    TRANSITION_CUBES,
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
        ${registerIssuers(taken('certificates', 'certificate_id'))};
        ${upsertIssuanceEvents(taken('certificates', 'certificate_id'), 'add')};
        ${upsertOrganizationIssuance(taken('certificates', 'certificate_id'), 'add')};
        ${upsertTransitionEvents(transitionsOf(taken('certificate_status_changes', 'status_change_id')), 'add')};
        ${upsertRevocations(transitionsOf(taken('certificate_status_changes', 'status_change_id')), 'add')};
        ${upsertSigningAccounts(taken('signing_accounts', 'signing_account_id'), 'add')};
      end if;
      return folded;
    end $fn$`);
}

/** Gives the issuers of some certificates (relation) a code, if they have none yet. */
const registerIssuers = (certificates: string) =>
  `insert into stats_issuers (dn) select distinct c.issuer_dn from ${certificates} c order by 1 on conflict (dn) do nothing`;

/**
 * `kyso_stats_rebuild()`: recomputes every aggregate from the certificates, their history and the
 * signing accounts (after a bulk load with triggers disabled, or to check the triggers' arithmetic).
 * Issuer codes are kept.
 */
async function installRebuild(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function kyso_stats_rebuild() returns void language plpgsql as $fn$
    begin
      truncate stats_pending, ${AGGREGATE_TABLES.join(', ')};
      ${registerIssuers('certificates')};
      ${upsertIssuanceEvents('certificates', 'fill')};
      ${upsertTransitionEvents(HISTORY_TRANSITIONS, 'fill')};
      ${upsertOrganizationIssuance('certificates', 'fill')};
      ${upsertRevocations(HISTORY_TRANSITIONS, 'fill')};
      ${upsertSigningAccounts('signing_accounts', 'fill')};
    end $fn$`);
}

const AGGREGATE_TABLES = ['stats_certificates', 'stats_transitions', 'stats_certificates_org', 'stats_revocations', 'stats_signing_accounts'];

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
    key(t, DIMENSION_LIST);
    counters(t, ISSUANCE_COUNTERS);
  });
  await knex.schema.createTable('stats_transitions', (t) => {
    key(t, DIMENSION_LIST);
    counters(t, TRANSITION_COUNTERS);
  });
  await knex.schema.createTable('stats_certificates_org', (t) => {
    key(t, ['organization_id', ...DIMENSION_LIST]);
    counters(t, ['issued']);
  });
  await knex.schema.createTable('stats_revocations', (t) => {
    key(t, ['reason', ...DIMENSION_LIST]);
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
