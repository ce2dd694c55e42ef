import type { Knex } from 'knex';
import type { StoredKey } from '../keys/vault.js';

/** A row of `certificate_authorities`: a CA or a service identity (OCSP responder, TSA, audit key) with its wrapped key. */
export interface CaRow {
  id: string;
  name: string;
  kind: 'root' | 'issuing' | 'ocsp' | 'tsa' | 'audit';
  parent_id: string | null;
  subject_dn: string;
  serial: string;
  der: Buffer;
  subject_der: Buffer;
  key_id: Buffer;
  /** The key sealed by the vault (wrapped by the master key, or a reference into the PKCS#11 token); null for an external CA. */
  wrapped_key: StoredKey | null;
  crl_number: number;
  not_before: Date;
  not_after: Date;
  created_at: Date;
}

/** Every CA row, roots first. */
export function listCas(knex: Knex): Promise<CaRow[]> {
  return knex<CaRow>('certificate_authorities')
    .orderByRaw("case kind when 'root' then 0 when 'issuing' then 1 else 2 end")
    .orderBy('created_at')
    .select('*');
}

/** Inserts CA rows. */
export async function insertCas(knex: Knex, rows: CaRow[]): Promise<void> {
  await knex('certificate_authorities').insert(rows.map((r) => ({ ...r, wrapped_key: r.wrapped_key ? JSON.stringify(r.wrapped_key) : null })));
}

/** How many CA rows there are (CAs are only ever added: a changed count means a reload). */
export async function countCas(knex: Knex): Promise<number> {
  const row = await knex('certificate_authorities').count<{ n: string }[]>('* as n').first();
  return Number(row?.n ?? 0);
}
