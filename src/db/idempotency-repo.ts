import type { Knex } from 'knex';

/** A row of `idempotency_keys` (migration 045): the first answer to one user's key. */
export interface IdempotencyRow {
  user_id: string;
  key: string;
  fingerprint: string;
  /** Null while the first request with this key still runs. */
  response: unknown;
  created_at: Date;
}

/**
 * Records that (user, key) starts now, unless a live row holds it already: true when this call
 * took the key. Expired rows (of any user) are deleted first: answered ones created before
 * `expired.answered`, unanswered ones (their request died) created before `expired.running`.
 */
export async function claimIdempotencyKey(
  knex: Knex,
  row: Omit<IdempotencyRow, 'response'>,
  expired: { answered: Date; running: Date },
): Promise<boolean> {
  await knex('idempotency_keys')
    .where('created_at', '<', expired.answered)
    .orWhere((q) => {
      void q.whereNull('response').where('created_at', '<', expired.running);
    })
    .delete();
  const inserted = await knex('idempotency_keys').insert({ ...row, response: null }).onConflict(['user_id', 'key']).ignore().returning('key');
  return inserted.length === 1;
}

/** The row of (user, key), if any. */
export function findIdempotencyKey(knex: Knex, userId: string, key: string): Promise<IdempotencyRow | undefined> {
  return knex<IdempotencyRow>('idempotency_keys').where({ user_id: userId, key }).first();
}

/** Stores the answer of the request that took (user, key). */
export async function completeIdempotencyKey(knex: Knex, userId: string, key: string, response: unknown): Promise<void> {
  await knex('idempotency_keys').where({ user_id: userId, key }).update({ response: JSON.stringify(response) });
}

/** Frees (user, key) after its request failed, so the client may send it again. */
export async function releaseIdempotencyKey(knex: Knex, userId: string, key: string): Promise<void> {
  await knex('idempotency_keys').where({ user_id: userId, key }).whereNull('response').delete();
}
