import type { Knex } from 'knex';

/** What CRLs and OCSP need of a certificate's status. */
export interface CertificateStatusRow {
  serial: string;
  status: 'active' | 'suspended' | 'revoked';
  revoked_at: Date | null;
  revocation_reason: string | null;
  suspended_at: Date | null;
}

/** A row of `crls`: one issued CRL. */
export interface CrlRow {
  ca_id: string;
  crl_number: number;
  this_update: Date;
  next_update: Date;
  entries_digest: string;
  entry_count: number;
  der: Buffer;
}

/** Revoked and suspended certificates of a CA that have not expired by `at` (RFC 5280 §3.3 lets expired entries go). */
export function notActiveCertificates(knex: Knex, caId: string, at: Date): Promise<CertificateStatusRow[]> {
  return knex('certificates')
    .where({ issuer_ca_id: caId })
    .whereNot({ status: 'active' })
    .where('not_after', '>', at)
    .orderBy('serial')
    .select('serial', 'status', 'revoked_at', 'revocation_reason', 'suspended_at');
}

/**
 * Status rows of the given serials issued by a CA (serials it never issued are simply missing):
 * end-entity certificates, and the CA's own service certificates (TSA, OCSP responders) and
 * subordinate CAs, which kyso never revokes (api.md "Public PKI endpoints": the responder knows
 * every certificate its CA issued, so validators checking the TSA get `good`, not `unknown`).
 */
export function certificateStatuses(knex: Knex, caId: string, serials: readonly string[]): Promise<CertificateStatusRow[]> {
  return knex('certificates')
    .where({ issuer_ca_id: caId })
    .whereIn('serial', serials)
    .select('serial', 'status', 'revoked_at', 'revocation_reason', 'suspended_at')
    .unionAll(
      (q) =>
        void q
          .from('certificate_authorities')
          .where({ parent_id: caId })
          .whereIn('serial', serials)
          .select(
            'serial',
            knex.raw("'active' as status"),
            knex.raw('null::timestamptz as revoked_at'),
            knex.raw('null::text as revocation_reason'),
            knex.raw('null::timestamptz as suspended_at'),
          ),
    );
}

/** The CRL with the highest number a CA has issued, without its DER (`der` is empty), if any. */
export async function latestCrl(knex: Knex, caId: string): Promise<CrlRow | undefined> {
  const row = await knex<CrlRow>('crls')
    .where({ ca_id: caId })
    .orderBy('crl_number', 'desc')
    .first('ca_id', 'crl_number', 'this_update', 'next_update', 'entries_digest', 'entry_count');
  return row && { ...row, crl_number: Number(row.crl_number), der: Buffer.alloc(0) };
}

/** The DER of one stored CRL. */
export async function crlDer(knex: Knex, caId: string, crlNumber: number): Promise<Buffer> {
  const row = await knex('crls').where({ ca_id: caId, crl_number: crlNumber }).first('der');
  if (!row) throw new Error(`CRL ${crlNumber} of CA ${caId} is not stored`);
  return Buffer.from(row.der as Uint8Array);
}

/** Stores an issued CRL unless its number is taken already; returns whether it was stored. */
export async function insertCrl(trx: Knex.Transaction, row: CrlRow): Promise<boolean> {
  const inserted = await trx('crls').insert(row).onConflict(['ca_id', 'crl_number']).ignore().returning('crl_number');
  return inserted.length > 0;
}
