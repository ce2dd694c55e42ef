import type { Knex } from 'knex';

/*
 * Issue #13 item 10: an optional `Idempotency-Key` header on the batch routes. The first answer to
 * (user, key) is kept with a fingerprint of the request; the same key with the same request replays
 * it, with another request is refused. `response` is null while the first request still runs.
 * Keys are kept 24 hours (older rows are deleted when new keys are recorded).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table idempotency_keys (
      user_id uuid not null references users(id),
      key text not null,
      fingerprint text not null,
      response jsonb,
      created_at timestamptz not null,
      primary key (user_id, key)
    )
  `);
  await knex.raw('create index idempotency_keys_created on idempotency_keys (created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists idempotency_keys');
}
