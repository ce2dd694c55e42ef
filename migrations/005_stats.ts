import type { Knex } from 'knex';

/*
 * Statistics, first step: what the aggregates of migrations/006_stats_aggregates.ts count by. The
 * synthetic flag of the demo seed's rows, the notAfter index (expiry events of a window's edge
 * days), the 2025 province mergers, and Vietnam's calendar day of an instant.
 *
 * Frozen: literals only, no imports from src/ (what ran on a database must not change with the code).
 */

/** The 2025 merger of provinces (Resolution 202/2025/QH15) as this migration records it: a merged province → its name today. */
const PROVINCE_MAPPINGS = [
  { province: 'Hà Giang', current_province: 'Tuyên Quang' },
  { province: 'Yên Bái', current_province: 'Lào Cai' },
  { province: 'Bắc Kạn', current_province: 'Thái Nguyên' },
  { province: 'Vĩnh Phúc', current_province: 'Phú Thọ' },
  { province: 'Hòa Bình', current_province: 'Phú Thọ' },
  { province: 'Bắc Giang', current_province: 'Bắc Ninh' },
  { province: 'Thái Bình', current_province: 'Hưng Yên' },
  { province: 'Hải Dương', current_province: 'Hải Phòng' },
  { province: 'Hà Nam', current_province: 'Ninh Bình' },
  { province: 'Nam Định', current_province: 'Ninh Bình' },
  { province: 'Quảng Bình', current_province: 'Quảng Trị' },
  { province: 'Quảng Nam', current_province: 'Đà Nẵng' },
  { province: 'Kon Tum', current_province: 'Quảng Ngãi' },
  { province: 'Bình Định', current_province: 'Gia Lai' },
  { province: 'Ninh Thuận', current_province: 'Khánh Hòa' },
  { province: 'Đắk Nông', current_province: 'Lâm Đồng' },
  { province: 'Bình Thuận', current_province: 'Lâm Đồng' },
  { province: 'Phú Yên', current_province: 'Đắk Lắk' },
  { province: 'Bình Dương', current_province: 'Hồ Chí Minh' },
  { province: 'Bà Rịa - Vũng Tàu', current_province: 'Hồ Chí Minh' },
  { province: 'Bình Phước', current_province: 'Đồng Nai' },
  { province: 'Long An', current_province: 'Tây Ninh' },
  { province: 'Sóc Trăng', current_province: 'Cần Thơ' },
  { province: 'Hậu Giang', current_province: 'Cần Thơ' },
  { province: 'Bến Tre', current_province: 'Vĩnh Long' },
  { province: 'Trà Vinh', current_province: 'Vĩnh Long' },
  { province: 'Tiền Giang', current_province: 'Đồng Tháp' },
  { province: 'Bạc Liêu', current_province: 'Cà Mau' },
  { province: 'Kiên Giang', current_province: 'An Giang' },
  { province: 'Thừa Thiên Huế', current_province: 'Huế' },
];

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
  await knex('province_mappings').insert(PROVINCE_MAPPINGS);

  // Vietnam's calendar day of an instant: UTC+7 all year since 1975.
  await knex.raw(`
    create or replace function kyso_stats_day(ts timestamptz) returns date
    language sql immutable parallel safe as $fn$ select ((ts at time zone 'UTC') + interval '7 hours')::date $fn$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists kyso_stats_day(timestamptz)');
  await knex.schema.dropTableIfExists('province_mappings');
  await knex.schema.alterTable('certificates', (t) => {
    t.dropIndex(['not_after']);
    t.dropColumn('synthetic');
  });
}
