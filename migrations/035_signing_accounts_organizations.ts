import type { Knex } from 'knex';

/*
 * Issue #11: organization signing accounts (the organization's own certificate, its seal, used by
 * the clerks it designates), the first PIN that must be changed before signing, and the image a
 * visible signature shows (a person's handwritten signature, an organization's seal).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table signing_accounts
      add column holder text not null default 'individual',
      add column must_change_pin boolean not null default false,
      add column appearance_png bytea,
      add column appearance_updated_at timestamptz,
      alter column user_id drop not null,
      add constraint signing_account_holder_check check (holder in ('individual', 'organization')),
      add constraint signing_account_holder_user_check check ((holder = 'individual') = (user_id is not null))
  `);
  await knex.raw(`
    create table signing_account_delegates (
      account_id uuid not null references signing_accounts(id) on delete cascade,
      user_id uuid not null references users(id),
      primary key (account_id, user_id)
    )
  `);
  await knex.raw('create index signing_account_delegates_user on signing_account_delegates (user_id, account_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists signing_account_delegates');
  await knex.raw(`
    alter table signing_accounts
      drop constraint if exists signing_account_holder_user_check,
      drop constraint if exists signing_account_holder_check,
      drop column if exists appearance_updated_at,
      drop column if exists appearance_png,
      drop column if exists must_change_pin,
      drop column if exists holder
  `);
}
