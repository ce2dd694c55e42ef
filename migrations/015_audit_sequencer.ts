import type { Knex } from 'knex';

/*
 * The audit trail without a global lock (issue #12): writers only insert their events, with
 * `seq` from the column's sequence and no hash; the sequencer (src/audit/sequencer.ts) chains the
 * committed ones in the order it sees them commit, giving each a gap-free `chain_seq`, its
 * `prev_hash` and `hash`, and closes each chained stretch with a checkpoint signed by the audit
 * key (a `certificate_authorities` row of kind `audit`, issued by the root).
 *
 * Events chained before this migration keep their hashes: their `seq` was gap-free from 1, so
 * `chain_seq = seq`. The sequence behind `seq` was never advanced (seq was written explicitly),
 * so it is moved past the last event.
 *
 * Frozen SQL: this file must not import from src/.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table audit_events add column chain_seq bigint`);
  await knex.raw(`alter table audit_events alter column prev_hash drop not null`);
  await knex.raw(`alter table audit_events alter column hash drop not null`);
  await knex.raw(`update audit_events set chain_seq = seq`);
  await knex.raw(`create unique index audit_events_chain_seq_unique on audit_events (chain_seq)`);
  await knex.raw(`create index audit_events_pending on audit_events (seq) where chain_seq is null`);
  await knex.raw(`select setval(pg_get_serial_sequence('audit_events', 'seq'),
    coalesce((select max(seq) from audit_events), 1),
    (select count(*) > 0 from audit_events))`);
  await knex.raw(`alter table certificate_authorities drop constraint ca_kind_check`);
  await knex.raw(`alter table certificate_authorities add constraint ca_kind_check
    check (kind in ('root', 'issuing', 'ocsp', 'tsa', 'audit'))`);
  await knex.raw(`create table audit_checkpoints (
    seq bigint primary key,
    hash text not null,
    at timestamptz not null,
    signature bytea not null,
    ca_id uuid not null references certificate_authorities (id)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop table audit_checkpoints`);
  await knex.raw(`delete from certificate_authorities where kind = 'audit'`);
  await knex.raw(`alter table certificate_authorities drop constraint ca_kind_check`);
  await knex.raw(`alter table certificate_authorities add constraint ca_kind_check
    check (kind in ('root', 'issuing', 'ocsp', 'tsa'))`);
  await knex.raw(`delete from audit_events where chain_seq is null`);
  await knex.raw(`drop index audit_events_pending`);
  await knex.raw(`drop index audit_events_chain_seq_unique`);
  await knex.raw(`alter table audit_events alter column hash set not null`);
  await knex.raw(`alter table audit_events alter column prev_hash set not null`);
  await knex.raw(`alter table audit_events drop column chain_seq`);
}
