import { AGGREGATES, cubeCode, type AggregateTable, type Cube } from './cubes.js';
import { DIMENSIONS, HISTORY_TRANSITIONS, issuanceEvents, organizationEvents, transitionEvents, transitionsOf } from './events.js';

/*
 * The SQL that keeps the aggregate tables of migrations/006_stats_aggregates.ts: the fold
 * (`kyso_stats_fold()`, which adds the events queued since the last fold) and the rebuild
 * (`kyso_stats_rebuild()`, which recomputes every aggregate), as the migrations install them.
 *
 * Base rows count the events of one period: grains `d` (day), `x` (dekad), `m` (month), `q`
 * (quarter), `y` (year). Cubes flagged `runningTotals` (src/db/stats/cubes.ts) also keep running totals, so
 * that a long window or a status at a cut-off date reads two rows per cell instead of one per
 * year and month (migrations/007_stats_running_totals.ts): `Y` at 1 January of year t counts every event
 * before t, kept from the year after a cell's first event through the year after the table's last
 * event (later years equal that one); `M` at the 1st of month p counts the events from 1 January
 * to p, from the month after a cell's first event of that year through December. Events before a
 * day p are then Y(year of p) + M(p), a row that is absent counting zero.
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
 * cube (src/db/stats/cubes.ts; the dimensions a cube leaves out are blank) year and month rows, and
 * day or dekad rows down to the cube's finest grain, grouped by `keys`, and the running totals of
 * the cubes `totalled`. `sums` are aggregates over the events (`count(*)`, `sum(e.issued)`);
 * events are first summed per day and all keys, then rolled up, every cube in one statement
 * (grouping sets).
 */
const aggregate = (
  table: string,
  keys: readonly string[],
  sums: Record<string, string>,
  events: string,
  mode: Mode,
  cubes: readonly Cube[],
  totalled: readonly Cube[],
): string => {
  if (mode === 'fill') return fill(table, keys, sums, events, cubes, totalled);
  const columns = ['cube', 'grain', 'period', ...keys];
  const sumNames = Object.keys(sums);
  const sumList = sumNames.map((n) => `sum(e.${n}) as ${n}`).join(', ');
  /**
   * Rows of the cubes `only` at the grains and periods `periods` (a relation `g(grain, period)`
   * over `d.day`) that the events of a unit count in, from the day events summed per unit (`unit`:
   * SQL over `e.day` giving the unit's first day; null: the days themselves) and the keys the
   * cubes use.
   */
  const rollUp = (unit: string | null, periods: string, only: readonly Cube[]) => {
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
    from ${from} d cross join lateral ${periods}
    group by g.grain, g.period, grouping sets (${groupingSets})`;
  };
  const daily = cubes.filter((c) => c.finest === 'd');
  const dekads = cubes.filter((c) => c.finest === 'x');
  const quarterly = cubes.filter((c) => c.quarters);
  const at = (grains: string) => `(values ${grains}) g(grain, period)`;
  const rows = [
    ...(daily.length ? [rollUp(null, at("('d', d.day)"), daily)] : []),
    ...(dekads.length ? [rollUp(dekadOf('e.day'), at("('x', d.day)"), dekads)] : []),
    ...(quarterly.length ? [rollUp(quarterOf('e.day'), at("('q', d.day)"), quarterly)] : []),
    rollUp(monthOf('e.day'), at(`('m', d.day), ('y', ${yearOf('d.day')})`), cubes),
    ...(totalled.length
      ? [
          // The events of a month count in M of the later months of its year…
          rollUp(
            monthOf('e.day'),
            `(select 'M', (d.day + k * interval '1 month')::date from generate_series(1, 12 - extract(month from d.day)::int) k) g(grain, period)`,
            totalled,
          ),
          // …and those of a year in Y of the later years, through the last one kept (extendYears adds later ones).
          rollUp(
            yearOf('e.day'),
            `(select 'Y', t::date from generate_series(d.day + interval '1 year', ${lastRunningYear(table, totalled)}, interval '1 year') t) g(grain, period)`,
            totalled,
          ),
        ]
      : []),
  ];
  return `
  with days as materialized (${daySums(keys, sums, events)})
  insert into ${table} as s (${[...columns, ...sumNames].join(', ')})
  select * from (${rows.join(' union all ')}) r
  order by ${columns.map((c) => (NOT_TEXT.has(c) ? `r.${c}` : `r.${c} collate "C"`)).join(', ')}
  on conflict (${columns.join(', ')}) do update set ${sumNames.map((n) => `${n} = s.${n} + excluded.${n}`).join(', ')}
  ${totalled.length ? `;\n${extendYears(table, keys, sumNames, totalled)}` : ''}`;
};

/**
 * The 1 January of the last Y row of `table` (null while it has none): every totalled cube keeps Y
 * rows through the same year, the year after the table's last event.
 */
const lastRunningYear = (table: string, totalled: readonly Cube[]) =>
  `(select max(period) from ${table} where cube = ${cubeCode(totalled[0]!)} and grain = 'Y')`;

/**
 * Running totals (`grain` Y or M) into `table` from period rows (`source`: a relation of cube,
 * keys, period and sums, of years or months): per cell (and `partition`), each period row's running
 * sum is the total at every boundary after it (from `first`, SQL over `r.period`) through the next
 * row's period, or `last`, by `step`.
 */
const runningTotalRows = (
  table: string,
  keys: readonly string[],
  sumNames: readonly string[],
  source: string,
  rows: { grain: 'Y' | 'M'; partition: string; first: string; last: string; step: string },
) => {
  const cell = ['cube', ...keys].join(', ');
  return `
  insert into ${table} (cube, grain, period, ${keys.join(', ')}, ${sumNames.join(', ')})
  select r.cube, '${rows.grain}', t::date, ${keys.map((k) => `r.${k}`).join(', ')}, ${sumNames.map((n) => `r.${n}`).join(', ')}
  from (
    select ${cell}, period, ${sumNames.map((n) => `sum(${n}) over w as ${n}`).join(', ')}, lead(period) over w as next
    from ${source} p
    window w as (partition by ${[cell, rows.partition].filter(Boolean).join(', ')} order by period)
  ) r
  cross join lateral generate_series(${rows.first}, coalesce(r.next, ${rows.last}), interval '${rows.step}') t
  order by r.cube, 3, ${keys.map((k) => `r.${k}`).join(', ')}`;
};

/** Y rows from year rows (`source`, see runningTotalRows) for the years after `after` (SQL, null: all) through `end`. */
const yearTotals = (table: string, keys: readonly string[], sumNames: readonly string[], source: string, after: string, end: string) =>
  runningTotalRows(table, keys, sumNames, source, {
    grain: 'Y',
    partition: '',
    first: `greatest(r.period + interval '1 year', coalesce(${after} + interval '1 year', '-infinity'))`,
    last: end,
    step: '1 year',
  });

/** M rows from month rows (`source`, see runningTotalRows): the later months of each year. */
const monthTotals = (table: string, keys: readonly string[], sumNames: readonly string[], source: string) =>
  runningTotalRows(table, keys, sumNames, source, {
    grain: 'M',
    partition: "date_trunc('year', period)",
    first: "r.period + interval '1 month'",
    last: "date_trunc('year', r.period) + interval '11 months'",
    step: '1 month',
  });

/**
 * Adds the Y rows of the `totalled` cubes of `table` for the years after its last Y row through the
 * year after its last event, from the year rows. Runs after each fold: mostly it adds nothing,
 * once a year (or after a certificate that expires in a later year than any before) a row per
 * cell. The condition on the first cube's rows is the statement's one-time filter: when no year
 * is to be added, no row is read.
 */
const extendYears = (table: string, keys: readonly string[], sumNames: readonly string[], totalled: readonly Cube[]) => {
  const end = `(select max(period) + interval '1 year' from ${table} where cube = ${cubeCode(totalled[0]!)} and grain = 'y')`;
  const last = lastRunningYear(table, totalled);
  const years = `(select * from ${table} where grain = 'y' and cube in (${totalled.map(cubeCode).join(', ')}) and ${end} > coalesce(${last}, '-infinity'))`;
  return yearTotals(table, keys, sumNames, years, last, end);
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
 * spilled gigabytes to disk — and the running totals of the `totalled` cubes from their year and
 * month sums. Rows are written in key order, so that a period range of a cube lies on few pages;
 * the key index is built once, at the end.
 */
const fill = (
  table: string,
  keys: readonly string[],
  sums: Record<string, string>,
  events: string,
  cubes: readonly Cube[],
  totalled: readonly Cube[],
) => {
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
    if (totalled.includes(cube)) {
      // From the cube's own rows, summed per year and month: the year after the last event is the table's.
      const periods = (unit: string) => `(
        select ${cubeCode(cube)}::smallint as cube, ${keys.map((k) => (used.includes(k) ? k : `${blank(k)} as ${k}`)).join(', ')},
               ${unit} as period, ${sumNames.map((n) => `sum(${n}) as ${n}`).join(', ')}
        from ${temporary(cube)} f group by ${[unit, ...used].join(', ')})`;
      const end = `(select date_trunc('year', max(day)) + interval '1 year' from stats_fill_days)`;
      statements.push(yearTotals(table, keys, sumNames, periods(yearOf('f.day')), 'null::date', end), monthTotals(table, keys, sumNames, periods(monthOf('f.day'))));
    }
    summed.push(cube);
  }
  statements.push(
    ...summed.map((cube) => `drop table ${temporary(cube)}`),
    'drop table stats_fill_days',
    `alter table ${table} add primary key (${columns.join(', ')})`,
  );
  return statements.join(';\n');
};

/** The dekad (src/db/stats/periods.ts) of a day (SQL date): the 1st, 11th or 21st of its month. */
const dekadOf = (day: string) => `date_trunc('month', ${day}::timestamp)::date + least((extract(day from ${day})::int - 1) / 10, 2) * 10`;
/** The first day of the month of a day (SQL date). */
const monthOf = (day: string) => `date_trunc('month', ${day}::timestamp)::date`;
/** The first day of the quarter of a day (SQL date). */
const quarterOf = (day: string) => `date_trunc('quarter', ${day}::timestamp)::date`;
/** The first day of the year of a day (SQL date). */
const yearOf = (day: string) => `date_trunc('year', ${day}::timestamp)::date`;

const DIMENSION_SQL = DIMENSIONS.join(', ');

/** An aggregate table (src/db/stats/cubes.ts AGGREGATES) and the sums it keeps of its events. */
interface Aggregate {
  table: AggregateTable;
  keys: readonly string[];
  sums: Record<string, string>;
  cubes: readonly Cube[];
}

/** Aggregate `table`, each counter summed from the events' own (`sum`) or counting them (`count`, one counter). */
const aggregateOf = (table: AggregateTable, each: 'sum' | 'count'): Aggregate => {
  const { keys, counters, cubes } = AGGREGATES[table];
  return { table, keys, cubes, sums: Object.fromEntries(counters.map((c) => [c, each === 'sum' ? `sum(e.${c})` : 'count(*)'])) };
};

const ISSUANCE = aggregateOf('stats_certificates', 'sum');
const TRANSITIONS = aggregateOf('stats_transitions', 'sum');
const ORGANIZATION_ISSUANCE = aggregateOf('stats_certificates_org', 'count');
const REVOCATIONS = aggregateOf('stats_revocations', 'count');
const SIGNING_ACCOUNTS = aggregateOf('stats_signing_accounts', 'count');

/** The aggregate tables. */
const AGGREGATE_TABLES = Object.keys(AGGREGATES) as AggregateTable[];

/** The cubes of an aggregate that keep running totals. */
const runningTotalCubes = (a: Aggregate) => a.cubes.filter((c) => c.runningTotals);

/** Adds `events` to aggregate `a` (or fills it from them). */
const write = (a: Aggregate, events: string, mode: Mode) => aggregate(a.table, a.keys, a.sums, events, mode, a.cubes, runningTotalCubes(a));

/** Revocations by reason among some transitions (relation). */
const revocationEvents = (transitions: string) =>
  `select kyso_stats_day(at) as day, coalesce(reason, 'unspecified') as reason, ${DIMENSION_SQL}
   from (${transitions}) tr where status = 'revoked' and prev_status <> 'revoked'`;

/** Signing accounts (relation `source`) by organization, with the sector and province their certificate recorded at issuance. */
const signingAccountEvents = (source: string) =>
  `select kyso_stats_day(a.created_at) as day, a.organization_id, c.sector, c.province
   from ${source} a join certificates c on c.id = a.certificate_id`;

/** The rows of a source table whose ids the current fold took from `stats_pending`. */
const taken = (table: string, column: string) => `(select x.* from ${table} x join stats_folding f on f.${column} = x.id)`;

/** Gives the issuers of some certificates (relation) a code, if they have none yet. */
const registerIssuers = (certificates: string) =>
  `insert into stats_issuers (dn) select distinct c.issuer_dn from ${certificates} c order by 1 on conflict (dn) do nothing`;

/**
 * `kyso_stats_fold()`: moves the certificates, status changes and signing accounts queued in
 * `stats_pending` (by the triggers, in their writers' transactions) into the aggregates, one fold
 * at a time, registering the issuers it has not seen yet; returns how many queued rows it took.
 */
export const foldFunction = () => {
  const certificates = taken('certificates', 'certificate_id');
  const transitions = transitionsOf(taken('certificate_status_changes', 'status_change_id'));
  return `
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
        ${registerIssuers(certificates)};
        ${write(ISSUANCE, issuanceEvents(certificates), 'add')};
        ${write(ORGANIZATION_ISSUANCE, organizationEvents(certificates), 'add')};
        ${write(TRANSITIONS, transitionEvents(transitions), 'add')};
        ${write(REVOCATIONS, revocationEvents(transitions), 'add')};
        ${write(SIGNING_ACCOUNTS, signingAccountEvents(taken('signing_accounts', 'signing_account_id')), 'add')};
      end if;
      return folded;
    end $fn$`;
};

/**
 * `kyso_stats_rebuild()`: recomputes every aggregate from the certificates, their history and the
 * signing accounts (after a bulk load with triggers disabled, or to check the fold's arithmetic).
 * Issuer codes are kept.
 */
export const rebuildFunction = () => `
    create or replace function kyso_stats_rebuild() returns void language plpgsql as $fn$
    begin
      truncate stats_pending, ${AGGREGATE_TABLES.join(', ')};
      ${registerIssuers('certificates')};
      ${write(ISSUANCE, issuanceEvents('certificates'), 'fill')};
      ${write(TRANSITIONS, transitionEvents(HISTORY_TRANSITIONS), 'fill')};
      ${write(ORGANIZATION_ISSUANCE, organizationEvents('certificates'), 'fill')};
      ${write(REVOCATIONS, revocationEvents(HISTORY_TRANSITIONS), 'fill')};
      ${write(SIGNING_ACCOUNTS, signingAccountEvents('signing_accounts'), 'fill')};
    end $fn$`;

