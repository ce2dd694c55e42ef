import type { Knex } from 'knex';

/*
 * Which statistics layout the database holds: the aggregate tables, `kyso_stats_fold()` and
 * `kyso_stats_rebuild()` that 006 and 007 installed. kyso compares this hash with its own
 * (src/db/stats/layout.ts) at start-up and refuses to start if they differ.
 *
 * A change of the layout (a cube, a counter, the fold's SQL) is a new migration, frozen as SQL
 * literals like this one: it installs the new fold and rebuild (statsLayoutSql() of the code at
 * the time, pasted), runs `select kyso_stats_rebuild()`, and records the new hash:
 *   update stats_layout set hash = '<statsLayoutHash()>', installed_by = '<its file name>'
 * tests/stats/layout.test.ts checks that the newest recorded hash is the code's.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table stats_layout (
      id boolean primary key default true check (id),
      hash text not null,
      installed_by text not null
    )`);
  await knex.raw(`
    insert into stats_layout (hash, installed_by)
    values ('0938e48ab4267d6b6fa22cfe32c71b689695477202c58f3cb61a830d25aff7a9', '007_stats_running_totals.ts')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table stats_layout');
}
