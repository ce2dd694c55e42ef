/**
 * `npm run seed-demo -- --certificates 10000000 [--organizations 20000] [--seed 0.42] [--database-url postgres://…]`
 *
 * Fills a kyso database with a synthetic national history for the demo and the statistics
 * benchmark: organizations across the 63 pre-2025 provinces and the sectors, certificates from
 * 2015 to today (growing year on year; individual and organization; token, SIM, remote, file),
 * with revocations and suspensions and their status history, signing accounts (with their
 * signer users) for part of the remote certificates, plus one province whose figures are exactly
 * those of the 2023 report in product.md (province "Bình Định", now part of Gia Lai).
 *
 * Rows are generated inside PostgreSQL (generate_series, one INSERT … SELECT per million rows),
 * with the statistics triggers off (and, for a superuser, the foreign-key checks: the generator
 * only refers to rows it wrote), the secondary indexes of the certificates and their history
 * dropped during the load and built once after it, and the aggregates rebuilt once at the end
 * (`kyso_stats_rebuild()`). Each phase logs its duration. Synthetic certificates are flagged `synthetic = true` and carry an
 * empty DER: they are counted, never served as certificates.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { openDatabase } from '../src/db/connect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { PROVINCES_BEFORE_2025 } from '../src/stats/provinces.js';

/** The province whose 2023 report product.md quotes; the demo gives it exactly those figures. */
export const REPORT_PROVINCE = 'Bình Định';

/** product.md's figures: first 9 months of 2023, and totals up to 30 September 2023. */
export const REPORT_2023 = {
  organizationNineMonths: 154,
  individualNineMonths: 2149,
  simNineMonths: 279,
  individualTotal: 4078,
  simTotal: 299,
  organizationTotal: 807,
  educationSigningAccounts: 10373,
} as const;

/** What to generate. */
export interface SeedOptions {
  certificates: number;
  organizations: number;
  /** setseed() value in [-1, 1]: the same seed gives the same history. */
  seed: number;
  /** Last day of the history (YYYY-MM-DD). */
  until: string;
  log?: (line: string) => void;
}

const SECTOR_WEIGHTS: Array<[string, number]> = [
  ['education', 40],
  ['health', 14],
  ['finance', 8],
  ['home-affairs', 8],
  ['agriculture', 6],
  ['justice', 5],
  ['transport', 4],
  ['industry', 4],
  ['natural-resources', 4],
  ['culture', 4],
  ['other', 3],
];
const REASONS = ['keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged', 'unspecified'];
/** Other PKIs' issuers of the imported part of the history (kyso's own is read from the database). */
const OTHER_ISSUERS = [
  'CN=Vietnam National Root CA - Public Signing CA,O=National Digital Signature Authentication Center,C=VN',
  'CN=Government Specialized CA,O=Government Cipher Committee,C=VN',
];
const ROWS_PER_STATEMENT = 1_000_000;

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sqlArray = (values: readonly string[]) => `array[${values.map(sqlText).join(',')}]::text[]`;
/** An SQL expression picking an element of `values` by the uniform random `r` in [0, 1). */
const pick = (values: readonly string[], r: string) => `(${sqlArray(values)})[1 + floor(${r} * ${values.length})::int]`;
const weighted = (weights: Array<[string, number]>) => weights.flatMap(([v, w]) => Array<string>(w).fill(v));

/** Vietnam noon of a day expression, as timestamptz (dates in the report are calendar days in Vietnam). */
const vietnamTime = (dayExpr: string, fraction: string) =>
  `((${dayExpr})::timestamp + interval '1 day' * ${fraction} - interval '7 hours') at time zone 'UTC'`;

/** Generates the history into `knex` (migrated), replacing earlier synthetic rows. */
export async function seedDemo(knex: Knex, options: SeedOptions): Promise<{ certificates: number; seconds: number }> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  let lap = started;
  /** Logs a phase with the seconds it took. */
  const done = (line: string) => {
    const now = Date.now();
    log(`${line} (${((now - lap) / 1000).toFixed(1)} s)`);
    lap = now;
  };
  // kyso's issuing CA as it is: its DN and id, so that the statistics by issuer show one row for it.
  const ca = (await knex('certificate_authorities').where({ kind: 'issuing' }).orderBy('created_at', 'desc').first('id', 'subject_dn')) as
    | { id: string; subject_dn: string }
    | undefined;
  if (!ca) throw new SeedError('the database has no issuing CA yet: start kyso once (npm start) before seeding');
  const issuers = [ca.subject_dn, ...OTHER_ISSUERS];
  // Nothing is dated after now: the history ends at the end of `until` (Vietnam) or now, whichever is first.
  const end = new Date(Math.min(Date.parse(`${options.until}T23:59:59+07:00`), Date.now()));
  let total = 0;
  await knex.transaction(async (trx) => {
    await trx.raw('select setseed(?)', [options.seed]);
    // Large hash aggregates and index builds in memory rather than spilled to disk.
    await trx.raw(`set local work_mem = '1GB'`);
    await trx.raw(`set local maintenance_work_mem = '1GB'`);
    // The rows go straight into the aggregates by the rebuild at the end, not through the queue.
    await trx.raw('alter table certificates disable trigger stats_queue');
    await trx.raw('alter table certificate_status_changes disable trigger stats_queue');
    await trx.raw('alter table signing_accounts disable trigger stats_queue');
    await trx.raw(`delete from signing_accounts where certificate_id in (select id from certificates where synthetic)`);
    await trx.raw(`delete from users where username like 'demo-%' and password_hash = 'synthetic'`);
    await trx.raw(`delete from certificate_status_changes where certificate_id in (select id from certificates where synthetic)`);
    await trx.raw(`delete from certificates where synthetic`);
    await trx.raw(`delete from organizations o where o.code like 'DEMO-%'
                   and not exists (select 1 from users u where u.organization_id = o.id)`);
    done('earlier synthetic rows deleted');
    const superuser = (await trx.raw('select rolsuper from pg_roles where rolname = current_user')).rows[0]?.rolsuper;
    // Replica mode skips the per-row foreign-key triggers (a third of the insert time).
    if (superuser) await trx.raw('set local session_replication_role = replica');
    const rebuildIndexes = await dropSecondaryIndexes(trx, ['certificates', 'certificate_status_changes']);

    const hasSubject = await trx.schema.hasColumn('certificates', 'subject');
    const nationalProvinces = PROVINCES_BEFORE_2025.filter((p) => p !== REPORT_PROVINCE);
    await trx.raw(`create temporary table demo_orgs (n int primary key, id uuid, sector text, old_province text) on commit drop`);
    await trx.raw(
      `insert into demo_orgs
       select n, gen_random_uuid(), ${pick(weighted(SECTOR_WEIGHTS), 'r1')}, ${pick(nationalProvinces, 'r2')}
       from (select n, random() r1, random() r2 from generate_series(1, ?) n) g`,
      [options.organizations],
    );
    // The report province: 300 organizations, half of them schools.
    await trx.raw(
      `insert into demo_orgs select ? + n, gen_random_uuid(), case when n <= 150 then 'education' else ${pick(weighted(SECTOR_WEIGHTS), 'random()')} end, ?
       from generate_series(1, 300) n`,
      [options.organizations, REPORT_PROVINCE],
    );
    await trx.raw(`
      insert into organizations (id, name, code, sector, province, created_at)
      select d.id, 'Đơn vị mẫu ' || d.n || ' – ' || d.old_province, 'DEMO-' || d.n, d.sector,
             coalesce(pm.current_province, d.old_province), timestamptz '2015-01-01'
      from demo_orgs d left join province_mappings pm on pm.province = d.old_province`);
    done(`organizations: ${options.organizations + 300}`);

    const insertCertificates = async (generator: string, bindings: readonly Knex.Value[]) => {
      await trx.raw(
        `insert into certificates (id, serial, issuer_dn, issuer_name_hash, issuer_ca_id, fingerprint, der, subject_dn,
           common_name, uids, holder, medium, ${hasSubject ? 'subject, ' : ''}organization_id, sector, province,
           not_before, not_after, status, revoked_at, revocation_reason, suspended_at, source, created_at, synthetic)
         select x.id, replace(x.id::text, '-', ''), x.issuer,
           case when x.issuer = ${sqlText(ca.subject_dn)} then encode(sha256(ca.subject_der), 'hex') else md5(x.issuer) end,
           case when x.issuer = ${sqlText(ca.subject_dn)} then ca.id end, 'synthetic:' || x.id, ''::bytea,
           'CN=' || x.cn || ',ST=' || x.province || ',C=VN', x.cn, array['CCCD:' || lpad((x.g % 1000000000000)::text, 12, '0')],
           x.holder, x.medium, ${hasSubject ? `jsonb_build_object('commonName', x.cn), ` : ''}x.org_id, x.sector, x.province,
           x.nb, x.na,
           x.state, case when x.state = 'revoked' then x.revoked_at end,
           case when x.state = 'revoked' then ${pick(REASONS, 'x.r_reason')} end,
           case when x.state = 'suspended' then x.revoked_at end,
           case when x.issuer = ${sqlText(ca.subject_dn)} then 'issued' else 'imported' end, x.nb, true
         from certificate_authorities ca, (
           select w.*, case when w.revoked_at > now() then 'active' when w.r_status < 0.04 then 'revoked'
                            when w.r_status < 0.045 and w.na > now() then 'suspended' else 'active' end as state
           from (select y.*, y.nb + (least(y.na, now()) - y.nb) * y.r_when as revoked_at from (
             select z.*, z.nb + case when z.holder = 'organization' then interval '5 years' else interval '3 years' end - interval '1 second' as na,
                    case when z.nb >= timestamptz '2025-07-01' then coalesce(pm.current_province, z.old_province) else z.old_province end as province,
                    case when z.holder = 'organization' then 'Con dấu số ' || z.g else 'Người dùng mẫu ' || z.g end as cn
             from (${generator}) z left join province_mappings pm on pm.province = z.old_province
           ) y) w
         ) x
         where ca.id = ${sqlText(ca.id)}
         order by x.nb`,
        bindings,
      );
    };
    // National history: the year's volume grows linearly (density ∝ time since 2015: the g-th of N
    // certificates is issued at the quantile sqrt(g/N) of the span), holder and medium mixes as in
    // the report. Rows are written in issuance order, as a live system appends them: a range of
    // days lies on few pages of the table and its time indexes.
    const individualMedium = `case when r_medium < 0.5 then 'token' when r_medium < 0.8 then 'remote' when r_medium < 0.93 then 'sim' else 'file' end`;
    for (let lo = 1; lo <= options.certificates; lo += ROWS_PER_STATEMENT) {
      const hi = Math.min(options.certificates, lo + ROWS_PER_STATEMENT - 1);
      await insertCertificates(
        `select gen_random_uuid() id, g.g, o.id org_id, o.sector, o.old_province,
                case when g.r_holder < 0.15 then 'organization' else 'individual' end holder,
                case when g.r_holder < 0.15 then (case when g.r_medium < 0.9 then 'token' else 'file' end) else ${individualMedium} end medium,
                ${pick(issuers, 'g.r_issuer')} issuer,
                timestamptz '2015-01-01' + (?::timestamptz - timestamptz '2015-01-01') * sqrt((g.g - g.r_date) / ?) nb,
                g.r_status, g.r_reason, g.r_when
         from (select g, random() r_org, random() r_holder, random() r_medium, random() r_issuer, random() r_date,
                      random() r_status, random() r_reason, random() r_when
               from generate_series(?::int, ?::int) g) g
         join demo_orgs o on o.n = 1 + floor(g.r_org * ?)::int`,
        [end, options.certificates, lo, hi, options.organizations],
      );
      done(`certificates: ${hi}`);
    }
    // The report province: exact counts per window, holder and medium (product.md's 2023 report).
    const r = REPORT_2023;
    // The report's certificates are on devices (token, SIM); its signing accounts hold remote
    // certificates, all in the province's schools (the first 150 of its organizations).
    const blocks: Array<[number, string, string, string, string, number]> = [
      [r.organizationNineMonths, 'organization', 'token', '2023-01-01', '2023-09-30', 300],
      [r.simNineMonths, 'individual', 'sim', '2023-01-01', '2023-09-30', 300],
      [r.individualNineMonths - r.simNineMonths, 'individual', 'token', '2023-01-01', '2023-09-30', 300],
      [r.organizationTotal - r.organizationNineMonths, 'organization', 'token', '2019-01-01', '2022-12-31', 300],
      [r.simTotal - r.simNineMonths, 'individual', 'sim', '2021-06-01', '2022-12-31', 300],
      [r.individualTotal - r.individualNineMonths - (r.simTotal - r.simNineMonths), 'individual', 'token', '2019-01-01', '2022-12-31', 300],
      [r.educationSigningAccounts, 'individual', 'remote', '2021-01-01', '2023-09-30', 150],
    ];
    let g0 = options.certificates;
    for (const [count, holder, medium, first, last, organizations] of blocks) {
      await insertCertificates(
        `select gen_random_uuid() id, g.g, o.id org_id, o.sector, o.old_province, ?::text holder, ?::text medium,
                ${sqlText(ca.subject_dn)} issuer,
                ${vietnamTime(`?::date + floor(g.r_date * (?::date - ?::date + 1))::int`, 'g.r_time')} nb,
                g.r_status, g.r_reason, g.r_when
         from (select g, random() r_org, random() r_date, random() r_time, random() r_status, random() r_reason, random() r_when
               from generate_series(?::int, ?::int) g) g
         join demo_orgs o on o.n = ? + 1 + floor(g.r_org * ?)::int`,
        [holder, medium, first, last, first, g0 + 1, g0 + count, options.organizations, organizations],
      );
      g0 += count;
    }
    done(`report province ${REPORT_PROVINCE}: ${g0 - options.certificates} certificates`);
    total = g0;

    // Signing accounts: every remote certificate of the report province, one in ten elsewhere; each with its signer.
    const accountCertificates = `select c.id, c.organization_id, c.not_before, c.common_name from certificates c
      where c.synthetic and c.medium = 'remote' and (c.province = ${sqlText(REPORT_PROVINCE)} or get_byte(uuid_send(c.id), 15) < 26)`;
    await trx.raw(`
      insert into users (id, username, password_hash, role, organization_id, full_name, created_at)
      select c.id, 'demo-' || replace(c.id::text, '-', ''), 'synthetic', 'signer', c.organization_id, c.common_name, c.not_before
      from (${accountCertificates}) c`);
    await trx.raw(`
      insert into signing_accounts (id, user_id, organization_id, certificate_id, key_algorithm, wrapped_key, kdf, status, created_at, updated_at)
      select gen_random_uuid(), c.id, c.organization_id, c.id, 'ecdsa-p256', '{"synthetic": true}', '{}', 'active', c.not_before, c.not_before
      from (${accountCertificates}) c`);
    done('signing accounts written');

    // Status history: the initial 'active' of every certificate, then its suspension or revocation.
    await trx.raw(`
      insert into certificate_status_changes (certificate_id, at, status, reason)
      select id, not_before, 'active', null from certificates where synthetic
      union all
      select id, coalesce(revoked_at, suspended_at), status, revocation_reason from certificates
      where synthetic and status <> 'active'
      order by 2`);
    done('status history written');
    await rebuildIndexes();
    done('indexes built');
    for (const table of ['certificates', 'certificate_status_changes', 'signing_accounts']) {
      await trx.raw(`alter table ${table} enable trigger stats_queue`);
    }
    await trx.raw('select kyso_stats_rebuild()');
    done('aggregates rebuilt');
  });
  // Fresh statistics for the planner, and a visibility map (as autovacuum would make after a while)
  // so that key lookups, and the edge days read from the certificates' time indexes, stay in the index.
  await knex.raw('vacuum analyze');
  done('vacuum analyze');
  return { certificates: total, seconds: (Date.now() - started) / 1000 };
}

/**
 * Drops the indexes of `tables` other than their primary keys (unique constraints included) and
 * returns a function that builds them again, as they were: one sorted build per index after a bulk
 * load is much faster than inserting every row into every index.
 */
async function dropSecondaryIndexes(trx: Knex.Transaction, tables: readonly string[]): Promise<() => Promise<void>> {
  const constraints = (
    await trx.raw(
      `select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def from pg_constraint
       where conrelid = any(?::regclass[]) and contype = 'u'`,
      [[...tables]],
    )
  ).rows as Array<{ tbl: string; conname: string; def: string }>;
  const indexes = (
    await trx.raw(
      `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
       where i.indrelid = any(?::regclass[]) and not i.indisprimary
         and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`,
      [[...tables]],
    )
  ).rows as Array<{ name: string; def: string }>;
  for (const c of constraints) await trx.raw(`alter table ${c.tbl} drop constraint "${c.conname}"`);
  for (const i of indexes) await trx.raw(`drop index ${i.name}`);
  return async () => {
    for (const c of constraints) await trx.raw(`alter table ${c.tbl} add constraint "${c.conname}" ${c.def}`);
    for (const i of indexes) await trx.raw(i.def);
  };
}

/** A failure to tell the operator in one line (no stack trace): exit code 1. */
export class SeedError extends Error {}

const USAGE = `Usage: npm run seed-demo -- [options]

Fills the kyso database with a synthetic national history (replacing an earlier one) for the
demo and the statistics benchmark. Start kyso once first: the history is issued by its CA.

Options:
  --certificates <n>    certificates of the national history (default 100000)
  --organizations <n>   organizations (default certificates / 500, between 50 and 20000)
  --seed <x>            random seed in [-1, 1]; the same seed gives the same history (default 0.42)
  --until <YYYY-MM-DD>  last day of the history, not after today (default today, in Vietnam)
  --database-url <url>  PostgreSQL (default DATABASE_URL; without either, the embedded database
                        in KYSO_DATA_DIR, default ./data)
  -h, --help            this help
`;

/** A usage mistake: the message and the usage, exit code 2. */
class UsageError extends Error {}

/** The options of the command line (UsageError for a bad one). */
export function parseSeedArguments(args: string[], today: string): (SeedOptions & { databaseUrl?: string }) | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        certificates: { type: 'string' },
        organizations: { type: 'string' },
        seed: { type: 'string' },
        until: { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const count = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 1e9) throw new UsageError(`--${name} must be a whole number from 0 to 1000000000 (got "${value}")`);
    return n;
  };
  const certificates = count('certificates', v.certificates, 100_000);
  const organizations = count('organizations', v.organizations, Math.min(20_000, Math.max(50, Math.round(certificates / 500))));
  if (organizations < 1) throw new UsageError('--organizations must be at least 1');
  const seed = v.seed === undefined ? 0.42 : Number(v.seed);
  if (!Number.isFinite(seed) || seed < -1 || seed > 1) throw new UsageError(`--seed must be a number from -1 to 1 (got "${v.seed}")`);
  const until = v.until ?? today;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until) || Number.isNaN(Date.parse(until)) || until < '2015-01-01' || until > today) {
    throw new UsageError(`--until must be a date YYYY-MM-DD from 2015-01-01 to today, ${today} (got "${until}")`);
  }
  return { certificates, organizations, seed, until, ...(v['database-url'] ? { databaseUrl: v['database-url'] } : {}) };
}

/** Runs the command line; returns the exit code. */
async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseSeedArguments(args, new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`seed-demo: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  try {
    const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
    // knex's own warnings are dropped: the failure they accompany is said once below.
    const db = await openDatabase({ databaseUrl, dataDir: process.env.KYSO_DATA_DIR ?? './data', warn: () => undefined });
    try {
      await migrateLatest(db.knex);
      const result = await seedDemo(db.knex, { ...options, log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`) });
      console.log(`seeded ${result.certificates} certificates in ${result.seconds.toFixed(1)} s`);
    } finally {
      await db.close();
    }
    return 0;
  } catch (err) {
    // One line the operator can act on, not a stack trace.
    const e = err as Error & { code?: string };
    console.error(`seed-demo: ${err instanceof SeedError ? e.message : `${e.message || String(err)}${e.code ? ` (${e.code})` : ''}`}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
