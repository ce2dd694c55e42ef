import type { Knex } from 'knex';
import type { WrappedKey } from '../pki/key-wrap.js';

/** A row of `certificate_authorities`: a CA or a service identity (OCSP responder, TSA) with its wrapped key. */
export interface CaRow {
  id: string;
  name: string;
  kind: 'root' | 'issuing' | 'ocsp' | 'tsa';
  parent_id: string | null;
  subject_dn: string;
  serial: string;
  der: Buffer;
  subject_der: Buffer;
  key_id: Buffer;
  wrapped_key: WrappedKey;
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
  await knex('certificate_authorities').insert(rows.map((r) => ({ ...r, wrapped_key: JSON.stringify(r.wrapped_key) })));
}

/** Reserves the next CRL number of a CA (row-locked, so numbers are monotonic across instances). */
export async function nextCrlNumber(trx: Knex.Transaction, caId: string): Promise<number> {
  const [row] = await trx('certificate_authorities')
    .where({ id: caId })
    .increment('crl_number', 1)
    .returning('crl_number');
  return Number(row.crl_number);
}
