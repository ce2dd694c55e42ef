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

/**
 * The id of the latest certificate status change. Every revocation, suspension and resumption
 * writes a row in the same transaction, so when this number has not moved no status has changed.
 */
export async function latestStatusChange(knex: Knex): Promise<number> {
  const row = await knex('certificate_status_changes').max({ id: 'id' }).first();
  return Number(row?.id ?? 0);
}

/**
 * Calls `onChange` at each commit that inserted certificate status changes (the NOTIFY trigger of
 * migration 003), when the database delivers notifications in step with commits: the embedded
 * PGlite runs in this process and calls back before the commit returns. Returns false for a
 * PostgreSQL server, where other instances write too and the counter is read instead.
 */
export async function listenForStatusChanges(knex: Knex, onChange: () => void): Promise<boolean> {
  const pglite = (knex.client as { pglite?: { listen(channel: string, callback: () => void): Promise<unknown> } }).pglite;
  if (!pglite) return false;
  await pglite.listen('kyso_status_changes', onChange);
  return true;
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

/** Status rows of the given serials issued by a CA (serials it never issued are simply missing). */
export function certificateStatuses(knex: Knex, caId: string, serials: readonly string[]): Promise<CertificateStatusRow[]> {
  return knex('certificates')
    .where({ issuer_ca_id: caId })
    .whereIn('serial', serials)
    .select('serial', 'status', 'revoked_at', 'revocation_reason', 'suspended_at');
}

/** The CRL with the highest number a CA has issued, if any. */
export async function latestCrl(knex: Knex, caId: string): Promise<CrlRow | undefined> {
  const row = await knex<CrlRow>('crls').where({ ca_id: caId }).orderBy('crl_number', 'desc').first();
  return row && { ...row, crl_number: Number(row.crl_number), der: Buffer.from(row.der) };
}

/** Stores an issued CRL. */
export async function insertCrl(trx: Knex.Transaction, row: CrlRow): Promise<void> {
  await trx('crls').insert(row);
}
