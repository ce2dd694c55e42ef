import type { Knex } from 'knex';

/*
 * Statistics at national scale: aggregate tables kept current by database triggers, so every
 * statistics query sums a few thousand pre-counted rows instead of scanning millions of
 * certificates, and the aggregates change in the same transaction as the certificate rows
 * (whoever writes them: issuance, import, revocation, signing accounts).
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

/** A certificate status transition relation, from a trigger's transition table or the whole history. */
const TRIGGER_TRANSITIONS = `
  select c.holder, c.medium, c.sector, c.province, c.issuer_dn as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(p.status, 'active') as prev_status, p.at as prev_at
  from new_rows n
  join certificates c on c.id = n.certificate_id
  left join lateral (
    select x.status, x.at from certificate_status_changes x
    where x.certificate_id = n.certificate_id and x.id < n.id
    order by x.id desc limit 1
  ) p on true`;

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
         1 as issued, 0 as expiring, 0 as revoked, 0 as expired_revoked, 0 as suspended from ${source}
  union all
  select kyso_stats_day(not_after), ${DIMENSIONS.replace('issuer', 'issuer_dn')}, 0, 1, 0, 0, 0 from ${source}`;

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

/** The three grains of one event day, for a lateral join. */
const GRAINS = `(values ('d', e.day),
                        ('m', date_trunc('month', e.day::timestamp)::date),
                        ('y', date_trunc('year', e.day::timestamp)::date)) g(grain, period)`;

/** Adds daily events (relation with day, dimensions and counters) to `stats_certificates`, in key order. */
const upsertCertificateEvents = (events: string) => `
  insert into stats_certificates as s (grain, period, ${DIMENSIONS}, issued, expiring, revoked, expired_revoked, suspended)
  select g.grain, g.period, ${DIMENSIONS.split(', ').map((d) => `e.${d}`).join(', ')},
         sum(e.issued), sum(e.expiring), sum(e.revoked), sum(e.expired_revoked), sum(e.suspended)
  from (${events}) e cross join lateral ${GRAINS}
  group by 1, 2, 3, 4, 5, 6, 7 order by 1, 2, 3, 4, 5, 6, 7
  on conflict (grain, period, ${DIMENSIONS}) do update set
    issued = s.issued + excluded.issued, expiring = s.expiring + excluded.expiring,
    revoked = s.revoked + excluded.revoked, expired_revoked = s.expired_revoked + excluded.expired_revoked,
    suspended = s.suspended + excluded.suspended`;

/** Adds issuance per organization (relation `source`: certificate rows). */
const upsertOrganizationIssuance = (source: string) => `
  insert into stats_certificates_org as s (grain, period, organization_id, ${DIMENSIONS}, issued)
  select g.grain, g.period, e.organization_id, e.holder, e.medium, e.sector, e.province, e.issuer, count(*)
  from (select kyso_stats_day(not_before) as day, organization_id, ${DIMENSIONS.replace('issuer', 'issuer_dn as issuer')}
        from ${source}) e cross join lateral ${GRAINS}
  group by 1, 2, 3, 4, 5, 6, 7, 8 order by 1, 2, 3, 4, 5, 6, 7, 8
  on conflict (grain, period, organization_id, ${DIMENSIONS}) do update set issued = s.issued + excluded.issued`;

/** Adds revocations by reason (relation: transitions). */
const upsertRevocations = (transitions: string) => `
  insert into stats_revocations as s (grain, period, reason, ${DIMENSIONS}, revoked)
  select g.grain, g.period, e.reason, e.holder, e.medium, e.sector, e.province, e.issuer, count(*)
  from (select kyso_stats_day(at) as day, coalesce(reason, 'unspecified') as reason, ${DIMENSIONS}
        from (${transitions}) tr where status = 'revoked' and prev_status <> 'revoked') e
  cross join lateral ${GRAINS}
  group by 1, 2, 3, 4, 5, 6, 7, 8 order by 1, 2, 3, 4, 5, 6, 7, 8
  on conflict (grain, period, reason, ${DIMENSIONS}) do update set revoked = s.revoked + excluded.revoked`;

/** Adds signing accounts by organization, with the organization's sector and province at creation. */
const upsertSigningAccounts = (source: string) => `
  insert into stats_signing_accounts as s (grain, period, organization_id, sector, province, accounts)
  select g.grain, g.period, e.organization_id, e.sector, e.province, count(*)
  from (select kyso_stats_day(a.created_at) as day, a.organization_id, o.sector, o.province
        from ${source} a join organizations o on o.id = a.organization_id) e
  cross join lateral ${GRAINS}
  group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
  on conflict (grain, period, organization_id, sector, province) do update set accounts = s.accounts + excluded.accounts`;

const plpgsql = (name: string, body: string) => `
  create or replace function ${name}() returns trigger language plpgsql as $fn$
  begin
    ${body};
    return null;
  end $fn$`;

/** The 2025 merger of provinces (Resolution 202/2025/QH15): 63 provinces became 34, from 1 July 2025. */
export const PROVINCE_MERGERS_2025: Record<string, string[]> = {
  'Tuyên Quang': ['Hà Giang'],
  'Lào Cai': ['Yên Bái'],
  'Thái Nguyên': ['Bắc Kạn'],
  'Phú Thọ': ['Vĩnh Phúc', 'Hòa Bình'],
  'Bắc Ninh': ['Bắc Giang'],
  'Hưng Yên': ['Thái Bình'],
  'Hải Phòng': ['Hải Dương'],
  'Ninh Bình': ['Hà Nam', 'Nam Định'],
  'Quảng Trị': ['Quảng Bình'],
  'Đà Nẵng': ['Quảng Nam'],
  'Quảng Ngãi': ['Kon Tum'],
  'Gia Lai': ['Bình Định'],
  'Khánh Hòa': ['Ninh Thuận'],
  'Lâm Đồng': ['Đắk Nông', 'Bình Thuận'],
  'Đắk Lắk': ['Phú Yên'],
  'Hồ Chí Minh': ['Bình Dương', 'Bà Rịa - Vũng Tàu'],
  'Đồng Nai': ['Bình Phước'],
  'Tây Ninh': ['Long An'],
  'Cần Thơ': ['Sóc Trăng', 'Hậu Giang'],
  'Vĩnh Long': ['Bến Tre', 'Trà Vinh'],
  'Đồng Tháp': ['Tiền Giang'],
  'Cà Mau': ['Bạc Liêu'],
  'An Giang': ['Kiên Giang'],
  Huế: ['Thừa Thiên Huế'],
};

/** Aggregate tables, their triggers, the province mapping and a full rebuild function. */
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
    for (const d of DIMENSIONS.split(', ')) t.text(d).notNullable();
  };
  await knex.schema.createTable('stats_certificates', (t) => {
    grainAndPeriod(t);
    dimensions(t);
    counters(t, ['issued', 'expiring', 'revoked', 'expired_revoked', 'suspended']);
    t.primary(['grain', 'period', ...DIMENSIONS.split(', ')]);
  });
  await knex.schema.createTable('stats_certificates_org', (t) => {
    grainAndPeriod(t);
    t.uuid('organization_id').notNullable();
    dimensions(t);
    counters(t, ['issued']);
    t.primary(['grain', 'period', 'organization_id', ...DIMENSIONS.split(', ')]);
  });
  await knex.schema.createTable('stats_revocations', (t) => {
    grainAndPeriod(t);
    t.text('reason').notNullable();
    dimensions(t);
    counters(t, ['revoked']);
    t.primary(['grain', 'period', 'reason', ...DIMENSIONS.split(', ')]);
  });
  await knex.schema.createTable('stats_signing_accounts', (t) => {
    grainAndPeriod(t);
    t.uuid('organization_id').notNullable();
    t.text('sector').notNullable();
    t.text('province').notNullable();
    counters(t, ['accounts']);
    t.primary(['grain', 'period', 'organization_id', 'sector', 'province']);
  });

  // Vietnam's calendar day of an instant: UTC+7 all year since 1975.
  await knex.raw(`
    create or replace function kyso_stats_day(ts timestamptz) returns date
    language sql immutable parallel safe as $fn$ select ((ts at time zone 'UTC') + interval '7 hours')::date $fn$`);

  await knex.raw(
    plpgsql(
      'kyso_stats_certificates_inserted',
      `${upsertCertificateEvents(issuanceEvents('new_rows'))};
       ${upsertOrganizationIssuance('new_rows')}`,
    ),
  );
  await knex.raw(`
    create trigger stats_certificates_inserted after insert on certificates
    referencing new table as new_rows for each statement execute function kyso_stats_certificates_inserted()`);

  await knex.raw(
    plpgsql(
      'kyso_stats_status_changed',
      `${upsertCertificateEvents(transitionEvents(TRIGGER_TRANSITIONS))};
       ${upsertRevocations(TRIGGER_TRANSITIONS)}`,
    ),
  );
  await knex.raw(`
    create trigger stats_status_changed after insert on certificate_status_changes
    referencing new table as new_rows for each statement execute function kyso_stats_status_changed()`);

  await knex.raw(plpgsql('kyso_stats_signing_accounts_inserted', upsertSigningAccounts('new_rows')));
  // signing_accounts comes with migration 004 (signing accounts); guarded so that statistics migrate without it.
  if (await knex.schema.hasTable('signing_accounts')) {
    await knex.raw(`
      create trigger stats_signing_accounts_inserted after insert on signing_accounts
      referencing new table as new_rows for each statement execute function kyso_stats_signing_accounts_inserted()`);
  }

  // Recomputes every aggregate from the certificates, their history and the signing accounts
  // (after a bulk load with triggers disabled, or to check the triggers' arithmetic).
  const rebuildSigningAccounts = (await knex.schema.hasTable('signing_accounts'))
    ? `${upsertSigningAccounts('signing_accounts')};`
    : '';
  await knex.raw(`
    create or replace function kyso_stats_rebuild() returns void language plpgsql as $fn$
    begin
      truncate stats_certificates, stats_certificates_org, stats_revocations, stats_signing_accounts;
      ${upsertCertificateEvents(issuanceEvents('certificates'))};
      ${upsertOrganizationIssuance('certificates')};
      ${upsertCertificateEvents(transitionEvents(HISTORY_TRANSITIONS))};
      ${upsertRevocations(HISTORY_TRANSITIONS)};
      ${rebuildSigningAccounts}
    end $fn$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists stats_certificates_inserted on certificates');
  await knex.raw('drop trigger if exists stats_status_changed on certificate_status_changes');
  if (await knex.schema.hasTable('signing_accounts')) {
    await knex.raw('drop trigger if exists stats_signing_accounts_inserted on signing_accounts');
  }
  for (const fn of [
    'kyso_stats_rebuild()',
    'kyso_stats_certificates_inserted()',
    'kyso_stats_status_changed()',
    'kyso_stats_signing_accounts_inserted()',
    'kyso_stats_day(timestamptz)',
  ]) {
    await knex.raw(`drop function if exists ${fn}`);
  }
  for (const table of ['stats_signing_accounts', 'stats_revocations', 'stats_certificates_org', 'stats_certificates', 'province_mappings']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('certificates', (t) => {
    t.dropColumn('synthetic');
  });
}
