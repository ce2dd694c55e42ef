import type { Knex } from 'knex';

/**
 * Accounts that can be managed (issue #13 items 2, 8, 10):
 * - `users.disabled_at` (a disabled user cannot log in and its sessions end) and
 *   `users.must_change_password` (set by an admin's reset).
 * - Usernames are case-insensitive: one unique index on lower(username). Users that already differ
 *   only by case keep the oldest as it is; the later ones are renamed `<name>-dup-<first 8 of id>`
 *   so nobody loses an account, and an admin can see and settle them.
 * - Login throttling counts failures per (username, client address) and per client address
 *   (username ''), not per username alone, so a stranger cannot lock a user out; the window index
 *   lets expired rows be swept.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table users
      add column disabled_at timestamptz,
      add column must_change_password boolean not null default false
  `);
  await knex.raw(`
    update users u set username = u.username || '-dup-' || substr(u.id::text, 1, 8)
     where exists (
       select 1 from users o
        where lower(o.username) = lower(u.username)
          and (o.created_at, o.id) < (u.created_at, u.id))
  `);
  await knex.raw('create unique index users_username_lower_unique on users (lower(username))');
  await knex.raw('drop table login_throttle');
  await knex.raw(`
    create table login_throttle (
      username text not null,
      ip text not null,
      failures integer not null,
      window_start timestamptz not null,
      blocked_until timestamptz,
      primary key (username, ip)
    )
  `);
  await knex.raw('create index login_throttle_window_start on login_throttle (window_start)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table login_throttle');
  await knex.raw(`
    create table login_throttle (
      username text primary key,
      failures integer not null,
      window_start timestamptz not null,
      blocked_until timestamptz
    )
  `);
  await knex.raw('drop index users_username_lower_unique');
  await knex.raw('alter table users drop column must_change_password, drop column disabled_at');
}
