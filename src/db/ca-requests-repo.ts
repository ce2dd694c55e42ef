import type { Knex } from 'knex';
import type { StoredKey } from '../keys/vault.js';

/** A row of `ca_key_requests`: a new issuing CA key waiting for the certificate an external CA signs. */
export interface CaKeyRequestRow {
  name: string;
  subject_der: Buffer;
  public_key_info: Buffer;
  wrapped_key: StoredKey;
  csr: Buffer;
  created_at: Date;
}

/** Every pending CA key request, oldest first. */
export function findCaKeyRequests(knex: Knex): Promise<CaKeyRequestRow[]> {
  return knex<CaKeyRequestRow>('ca_key_requests').orderBy('created_at').select('*');
}

/** Stores a pending CA key request. */
export async function insertCaKeyRequest(knex: Knex, row: CaKeyRequestRow): Promise<void> {
  await knex('ca_key_requests').insert({ ...row, wrapped_key: JSON.stringify(row.wrapped_key) });
}

/** Removes a request once its certificate is installed. */
export async function deleteCaKeyRequest(knex: Knex, name: string): Promise<void> {
  await knex('ca_key_requests').where({ name }).delete();
}
