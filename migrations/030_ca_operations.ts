import type { Knex } from 'knex';

/*
 * CA operations (issue #14): a CA whose key kyso does not hold (the external root above an
 * imported issuing CA) has no wrapped_key; `ca_key_requests` keeps the keys `kyso ca export-csr`
 * made (sealed by the key vault under the CA name they will carry) until `kyso ca
 * import-certificate` installs the certificate the external root signed for one of them.
 *
 * Frozen SQL: this file must not import from src/.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table certificate_authorities alter column wrapped_key drop not null`);
  await knex.raw(`create table ca_key_requests (
    name text primary key,
    subject_der bytea not null,
    public_key_info bytea not null,
    wrapped_key jsonb not null,
    csr bytea not null,
    created_at timestamptz not null
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop table ca_key_requests`);
  await knex.raw(`alter table certificate_authorities alter column wrapped_key set not null`);
}
