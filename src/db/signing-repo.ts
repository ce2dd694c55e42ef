import type { Knex } from 'knex';
import type { WrappedKey } from '../pki/key-wrap.js';
import type { PinKdf } from '../keys/pin-key.js';
import { insertJsonRows } from './bulk.js';
import { isUuid } from './ids.js';
import type { StoredStatus } from './certificates-repo.js';

/** Key algorithms a signing account can hold. */
export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

/** Whose key an account holds: a person's, or an organization's (its seal). */
export type AccountHolder = 'individual' | 'organization';

/** A row of `signing_accounts` (without the appearance image, read on its own). */
export interface SigningAccountRow {
  id: string;
  /** The holder of an individual account; null for an organization's (its delegates sign). */
  user_id: string | null;
  holder: AccountHolder;
  organization_id: string;
  certificate_id: string;
  key_algorithm: KeyAlgorithm;
  wrapped_key: WrappedKey;
  kdf: PinKdf;
  status: 'active' | 'locked';
  failed_pin_attempts: number;
  locked_at: Date | null;
  /** The officer set the first PIN: the holder must change it before signing (api.md). */
  must_change_pin: boolean;
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
  has_appearance: boolean;
}

/** Inserts accounts with one statement (see insertJsonRows: cheaper than binding every value). */
export async function insertSigningAccounts(trx: Knex.Transaction, rows: SigningAccountRow[]): Promise<void> {
  await insertJsonRows(trx, 'signing_accounts', rows);
}

/** The columns of `signing_accounts` but the appearance image (up to 1 MB, read only to sign). */
const ACCOUNT_COLUMNS = [
  'id',
  'user_id',
  'holder',
  'organization_id',
  'certificate_id',
  'key_algorithm',
  'wrapped_key',
  'kdf',
  'status',
  'failed_pin_attempts',
  'locked_at',
  'must_change_pin',
  'created_by',
  'created_at',
  'updated_at',
].map((c) => `a.${c}`);

function records(knex: Knex) {
  return knex('signing_accounts as a')
    .join('certificates as c', 'c.id', 'a.certificate_id')
    .select(
      ...ACCOUNT_COLUMNS,
      knex.raw('a.appearance_png is not null as has_appearance'),
      'c.serial',
      'c.status as certificate_status',
      'c.der as certificate_der',
      'c.issuer_ca_id',
      'c.not_before',
      'c.not_after',
      'c.common_name',
    );
}


/**
 * The identifiers (certificate UIDs) of the individual accounts of these users whose certificate
 * is active and not expired at `now`: a user holds one active account per identifier.
 */
export async function activeAccountUids(knex: Knex, userIds: string[], now: Date): Promise<Array<{ user_id: string; uids: string[] }>> {
  if (!userIds.length) return [];
  return knex('signing_accounts as a')
    .join('certificates as c', 'c.id', 'a.certificate_id')
    .whereIn('a.user_id', userIds)
    .where('a.holder', 'individual')
    .where('c.status', 'active')
    .where('c.not_after', '>', now)
    .select('a.user_id', 'c.uids');
}

/**
 * Serializes the opening of signing accounts until `trx` ends (a transaction-scoped advisory
 * lock): the check that a user holds one active account per identifier, made again under it, sees
 * every account a concurrent opening stored.
 */
export async function lockAccountOpening(trx: Knex.Transaction): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(7215013)');
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
  // A signer sees the accounts it holds and the organization accounts it is a delegate of.
  if (q.userId) {
    const userId = q.userId;
    const delegated = (e: Knex.QueryBuilder) =>
      void e.select(knex.raw('1')).from('signing_account_delegates as d').whereRaw('d.account_id = a.id').where('d.user_id', userId);
    query.where((w) => void w.where('a.user_id', userId).orWhereExists(delegated));
  }
  if (q.after) query.whereRaw('(a.created_at, a.id) < (?, ?)', [q.after.createdAt, q.after.id]);
  return query as Promise<SigningAccountRecord[]>;
}

/** The users who may sign with each of `accountIds` (organization accounts' delegates). */
export async function accountDelegates(knex: Knex, accountIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!accountIds.length) return out;
  const rows: Array<{ account_id: string; user_id: string }> = await knex('signing_account_delegates')
    .whereIn('account_id', accountIds)
    .orderBy(['account_id', 'user_id'])
    .select('account_id', 'user_id');
  for (const row of rows) out.set(row.account_id, [...(out.get(row.account_id) ?? []), row.user_id]);
  return out;
}

/** Records the delegates of new organization accounts. */
export async function insertDelegates(trx: Knex.Transaction, rows: Array<{ account_id: string; user_id: string }>): Promise<void> {
  if (rows.length) await trx('signing_account_delegates').insert(rows);
}

/** The account's appearance image (PNG), if one was uploaded. */
export async function findAppearance(knex: Knex, id: string): Promise<Buffer | undefined> {
  const row: { appearance_png: Buffer | null } | undefined = await knex('signing_accounts').where({ id }).first('appearance_png');
  return row?.appearance_png ?? undefined;
}

/** Stores an account's appearance image. */
export async function setAppearance(trx: Knex.Transaction, id: string, png: Buffer, at: Date): Promise<void> {
  await trx('signing_accounts').where({ id }).update({ appearance_png: png, appearance_updated_at: at, updated_at: at });
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

/** The mutable fields of an account, some of them changed. */
export type SigningAccountChanges = Partial<Pick<SigningAccountRow, 'wrapped_key' | 'kdf' | 'status' | 'failed_pin_attempts' | 'locked_at' | 'must_change_pin' | 'updated_at'>>;

/** Updates an account's mutable fields. */
export async function updateSigningAccount(trx: Knex.Transaction, id: string, changes: SigningAccountChanges): Promise<void> {
  await trx('signing_accounts')
    .where({ id })
    .update({
      ...changes,
      ...(changes.wrapped_key ? { wrapped_key: JSON.stringify(changes.wrapped_key) } : {}),
      ...(changes.kdf ? { kdf: JSON.stringify(changes.kdf) } : {}),
    });
}
