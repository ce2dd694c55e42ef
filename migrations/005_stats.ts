import type { Knex } from 'knex';
import { PROVINCE_MERGERS_2025 } from '../src/stats/provinces.js';

/*
 * Statistics, first step: what the aggregates of migrations/006_stats_aggregates.ts count by. The
 * synthetic flag of the demo seed's rows, the notAfter index (expiry events of a window's edge
 * days), the 2025 province mergers, and Vietnam's calendar day of an instant.
 */

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
