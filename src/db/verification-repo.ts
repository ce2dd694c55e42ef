import type { Knex } from 'knex';
import type { StoredStatus } from './certificates-repo.js';

/** What verification reads of a stored certificate: its DER and its status. */
export interface StoredCertificateStatus {
  issuer_name_hash: string;
  serial: string;
  fingerprint: string;
  der: Buffer;
  status: StoredStatus;
  revoked_at: Date | null;
  revocation_reason: string | null;
  suspended_at: Date | null;
}

/** DER of every trust anchor (migration 002 `trust_anchors`). */
export async function trustAnchorCertificates(knex: Knex): Promise<Buffer[]> {
  const rows = await knex('trust_anchors').orderBy([{ column: 'created_at' }, { column: 'id' }]).select('der');
  return rows.map((row: { der: Buffer }) => Buffer.from(row.der));
}

/**
 * kyso's stored certificates with these (issuer name hash, serial) pairs — the identity of a
 * certificate (RFC 5280 §4.1.2.2) — with their status.
 */
export async function certificatesByIssuerSerial(
  knex: Knex,
  keys: ReadonlyArray<{ issuerNameHash: string; serial: string }>,
): Promise<StoredCertificateStatus[]> {
  if (keys.length === 0) return [];
  return knex('certificates')
    .whereIn(
      ['issuer_name_hash', 'serial'],
      keys.map((k) => [k.issuerNameHash, k.serial]),
    )
    .select('issuer_name_hash', 'serial', 'fingerprint', 'der', 'status', 'revoked_at', 'revocation_reason', 'suspended_at');
}
