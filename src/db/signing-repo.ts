import type { Knex } from 'knex';
import type { WrappedKey } from '../pki/key-wrap.js';
import type { PinKdf } from '../signing/pin-key.js';
import { insertJsonRows } from './bulk.js';
import { isUuid } from './ids.js';
import type { StoredStatus } from './certificates-repo.js';

/** Key algorithms a signing account can hold. */
export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

/** A row of `signing_accounts`. */
export interface SigningAccountRow {
  id: string;
  user_id: string;
  organization_id: string;
  certificate_id: string;
  key_algorithm: KeyAlgorithm;
  wrapped_key: WrappedKey;
  kdf: PinKdf;
  status: 'active' | 'locked';
  failed_pin_attempts: number;
  locked_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** An account with the facts of its certificate that signing and listing need. */
export interface SigningAccountRecord extends SigningAccountRow {
  serial: string;
  certificate_status: StoredStatus;
  certificate_der: Buffer;
  issuer_ca_id: string | null;
  not_before: Date;
  not_after: Date;
  common_name: string | null;
}

/** Inserts accounts with one statement (see insertJsonRows: cheaper than binding every value). */
export async function insertSigningAccounts(trx: Knex.Transaction, rows: SigningAccountRow[]): Promise<void> {
  await insertJsonRows(trx, 'signing_accounts', rows);
}

function records(knex: Knex) {
  return knex('signing_accounts as a')
    .join('certificates as c', 'c.id', 'a.certificate_id')
    .select(
      'a.*',
      'c.serial',
      'c.status as certificate_status',
      'c.der as certificate_der',
      'c.issuer_ca_id',
      'c.not_before',
      'c.not_after',
      'c.common_name',
    );
}


/** One account with its certificate facts (none for an id that is not a UUID); `forUpdate` row-locks it. */
export async function findSigningAccount(knex: Knex, id: string, forUpdate = false): Promise<SigningAccountRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const query = records(knex).where('a.id', id).first();
  return (await (forUpdate ? query.forUpdate('a') : query)) as SigningAccountRecord | undefined;
}

/** Accounts newest first, after a keyset cursor, optionally of one organization or one user. */
export function listSigningAccounts(
  knex: Knex,
  q: { organizationId?: string; userId?: string; after?: { createdAt: Date; id: string }; limit: number },
): Promise<SigningAccountRecord[]> {
  const query = records(knex).orderBy([{ column: 'a.created_at', order: 'desc' }, { column: 'a.id', order: 'desc' }]).limit(q.limit);
  if (q.organizationId) query.where('a.organization_id', q.organizationId);
  if (q.userId) query.where('a.user_id', q.userId);
  if (q.after) query.whereRaw('(a.created_at, a.id) < (?, ?)', [q.after.createdAt, q.after.id]);
  return query as Promise<SigningAccountRecord[]>;
}

/** Counts one more wrong PIN and locks the account when it reaches `maxAttempts`; returns the new state. */
export async function recordPinFailure(
  trx: Knex.Transaction,
  id: string,
  now: Date,
  maxAttempts: number,
): Promise<{ failed_pin_attempts: number; status: 'active' | 'locked' }> {
  const [row] = await trx('signing_accounts')
    .where({ id })
    .update({
      failed_pin_attempts: trx.raw('failed_pin_attempts + 1'),
      status: trx.raw("case when failed_pin_attempts + 1 >= ? then 'locked' else status end", [maxAttempts]),
      locked_at: trx.raw('case when failed_pin_attempts + 1 >= ? then ? else locked_at end', [maxAttempts, now]),
      updated_at: now,
    })
    .returning(['failed_pin_attempts', 'status']);
  return row;
}

/** Updates an account's mutable fields. */
export async function updateSigningAccount(
  trx: Knex.Transaction,
  id: string,
  changes: Partial<Pick<SigningAccountRow, 'wrapped_key' | 'kdf' | 'status' | 'failed_pin_attempts' | 'locked_at' | 'updated_at'>>,
): Promise<void> {
  await trx('signing_accounts')
    .where({ id })
    .update({
      ...changes,
      ...(changes.wrapped_key ? { wrapped_key: JSON.stringify(changes.wrapped_key) } : {}),
      ...(changes.kdf ? { kdf: JSON.stringify(changes.kdf) } : {}),
    });
}
