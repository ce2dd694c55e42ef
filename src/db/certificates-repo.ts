import type { Knex } from 'knex';
import type { WrappedKey } from '../pki/key-wrap.js';
import { insertJsonRows } from './bulk.js';
import { newestFirst } from './keyset.js';

/** Stored status of a certificate; `expired` is derived from notAfter, never stored. */
export type StoredStatus = 'active' | 'suspended' | 'revoked';

/** A subject as stored with requests and certificates (validated: uid always a list). */
export interface StoredSubject {
  commonName: string;
  uid: string[];
  title?: string;
  organizationalUnit?: string;
  locality?: string;
  email?: string;
}

/** A row of `certificates`. */
export interface CertificateRow {
  id: string;
  serial: string;
  issuer_dn: string;
  issuer_name_hash: string;
  issuer_ca_id: string | null;
  trust_anchor_id: string | null;
  fingerprint: string;
  der: Buffer;
  subject_dn: string;
  common_name: string | null;
  uids: string[];
  holder: 'individual' | 'organization';
  medium: 'token' | 'sim' | 'remote' | 'file';
  subject: StoredSubject;
  profile: string | null;
  msisdn: string | null;
  carrier: string | null;
  organization_id: string;
  sector: string;
  province: string;
  not_before: Date;
  not_after: Date;
  status: StoredStatus;
  revoked_at: Date | null;
  revocation_reason: string | null;
  suspended_at: Date | null;
  source: 'issued' | 'imported';
  request_id: string | null;
  wrapped_key: WrappedKey | null;
  key_delivered_at: Date | null;
  created_at: Date;
}

/** A row of `certificate_status_changes`. */
export interface StatusChangeRow {
  certificate_id: string;
  at: Date;
  status: StoredStatus;
  reason: string | null;
}

/** Inserts certificates with their first status change. */
export async function insertCertificates(trx: Knex.Transaction, rows: CertificateRow[], changes: StatusChangeRow[]): Promise<void> {
  await insertJsonRows(trx, 'certificates', rows);
  await insertStatusChanges(trx, changes);
}

/**
 * Inserts certificates, skipping any that collide with a stored one (same issuer and serial, or
 * same fingerprint), and returns the ids actually inserted: concurrent imports of one certificate
 * store it once.
 */
export async function insertCertificatesIfNew(trx: Knex.Transaction, rows: CertificateRow[]): Promise<Set<string>> {
  return new Set(await insertJsonRows(trx, 'certificates', rows, true));
}

/** A certificate's status changes, oldest first (its page shows them as its history). */
export function listStatusChanges(knex: Knex, certificateId: string): Promise<Array<Pick<StatusChangeRow, 'at' | 'status' | 'reason'>>> {
  return knex('certificate_status_changes').where({ certificate_id: certificateId }).orderBy([{ column: 'at' }, { column: 'id' }]).select('at', 'status', 'reason');
}

/** Appends status changes. */
export async function insertStatusChanges(trx: Knex.Transaction, changes: StatusChangeRow[]): Promise<void> {
  await insertJsonRows(trx, 'certificate_status_changes', changes);
}

/** Certificates with this serial (several issuers may have used it), optionally only one organization's. */
export function findCertificatesBySerial(knex: Knex, serial: string, organizationId?: string): Promise<CertificateRow[]> {
  const query = knex<CertificateRow>('certificates').where({ serial }).orderBy('created_at');
  if (organizationId) query.where('organization_id', organizationId);
  return query.select('*');
}

/** The certificate with this id, locked for update in the transaction. */
export function lockCertificate(trx: Knex.Transaction, id: string): Promise<CertificateRow | undefined> {
  return trx<CertificateRow>('certificates').where({ id }).forUpdate().first();
}

/**
 * These certificates, locked for update in id order, so that two transactions locking several of
 * the same never deadlock.
 */
export async function lockCertificates(trx: Knex.Transaction, ids: string[]): Promise<CertificateRow[]> {
  if (ids.length === 0) return [];
  return trx<CertificateRow>('certificates').whereIn('id', ids).orderBy('id').forUpdate().select('*');
}

/** Updates status fields of one certificate. */
export async function updateCertificate(
  trx: Knex.Transaction,
  id: string,
  patch: Partial<Pick<CertificateRow, 'status' | 'revoked_at' | 'revocation_reason' | 'suspended_at'>>,
): Promise<void> {
  await trx('certificates').where({ id }).update(patch);
}

/**
 * Records a `file` certificate's key as delivered and erases its wrapped key, only while the key is
 * still there and the certificate is not revoked; true when this call took it. A concurrent
 * delivery or revocation holds the row: this one waits, then finds it changed (one delivery).
 */
export async function takeWrappedKey(trx: Knex.Transaction, id: string, at: Date): Promise<boolean> {
  const updated = await trx('certificates')
    .where({ id })
    .whereNotNull('wrapped_key')
    .whereNull('key_delivered_at')
    .whereNot('status', 'revoked')
    .update({ wrapped_key: null, key_delivered_at: at });
  return updated === 1;
}

/** Stored certificates among these fingerprints or (issuer name hash, serial) pairs (arrays, not IN lists: one plan for any size). */
export async function findKnown(
  knex: Knex,
  fingerprints: string[],
  issuerSerials: Array<[string, string]>,
): Promise<Array<Pick<CertificateRow, 'fingerprint' | 'issuer_name_hash' | 'serial'>>> {
  if (fingerprints.length === 0) return [];
  const result = await knex.raw(
    `select fingerprint, issuer_name_hash, serial from certificates where fingerprint = any(?::text[])
     union
     select c.fingerprint, c.issuer_name_hash, c.serial
       from unnest(?::text[], ?::text[]) as k(issuer_name_hash, serial)
       join certificates c on c.issuer_name_hash = k.issuer_name_hash and c.serial = k.serial`,
    [fingerprints, issuerSerials.map((p) => p[0]), issuerSerials.map((p) => p[1])],
  );
  return result.rows;
}

/** Filters of the certificate listing. */
export interface CertificateQuery {
  holder?: string;
  medium?: string;
  sector?: string;
  organizationId?: string;
  status?: 'active' | 'suspended' | 'revoked' | 'expired';
  q?: string;
  now: Date;
  /** Keyset cursor: rows strictly after (created_at, id) in descending order. */
  after?: { createdAt: Date; id: string };
  limit: number;
}

/** Certificates newest first, filtered. */
export function listCertificates(knex: Knex, q: CertificateQuery): Promise<CertificateRow[]> {
  const query = newestFirst<CertificateRow>(knex, 'certificates', q.after, q.limit);
  if (q.holder) query.where('holder', q.holder);
  if (q.medium) query.where('medium', q.medium);
  if (q.sector) query.where('sector', q.sector);
  if (q.organizationId) query.where('organization_id', q.organizationId);
  if (q.status === 'expired') query.whereNot('status', 'revoked').where('not_after', '<', q.now);
  else if (q.status === 'revoked') query.where('status', 'revoked');
  else if (q.status) query.where('status', q.status).where('not_after', '>=', q.now);
  if (q.q) {
    const term = q.q;
    const escape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
    // Hex of six digits or more (colons and spaces as openssl and browsers print fingerprints): a serial or fingerprint prefix.
    const hex = term.replace(/[\s:]/g, '').toLowerCase();
    const isHexPrefix = /^[0-9a-f]{6,}$/.test(hex);
    query.where((w) => {
      w.whereRaw('kyso_fold(subject_dn) like kyso_fold(?)', [`%${escape(term)}%`]).orWhereRaw(
        'exists (select 1 from unnest(uids) u where u ilike ?)',
        [`%${escape(term)}%`],
      );
      // Serials are stored without leading zeros; a prefix of zeros alone names no serial prefix (it matched every one).
      const serial = hex.replace(/^0+/, '');
      if (isHexPrefix) {
        if (serial) w.orWhere('serial', 'like', `${serial}%`);
        w.orWhere('fingerprint', 'like', `${hex}%`);
      } else if (/^[0-9a-f]+$/.test(hex)) w.orWhere('serial', serial || '0');
    });
  }
  return query.select('*');
}

/** Every certificate after `afterId` (ordered by id), with its organization's code: the CLI export's pages. */
export function exportCertificatesPage(
  knex: Knex,
  afterId: string | undefined,
  limit: number,
): Promise<Array<CertificateRow & { organization_code: string | null }>> {
  const query = knex('certificates')
    .leftJoin('organizations', 'organizations.id', 'certificates.organization_id')
    .orderBy('certificates.id')
    .limit(limit)
    .select('certificates.*', 'organizations.code as organization_code');
  if (afterId) query.where('certificates.id', '>', afterId);
  return query;
}

/** How many certificates each CA issued, by CA id (CAs that issued none are absent): `kyso ca status`. */
export async function countCertificatesByIssuerCa(knex: Knex): Promise<Map<string, number>> {
  const rows: Array<{ issuer_ca_id: string; n: number }> = await knex('certificates')
    .whereNotNull('issuer_ca_id')
    .groupBy('issuer_ca_id')
    .select('issuer_ca_id', knex.raw('count(*)::int as n'));
  return new Map(rows.map((r) => [r.issuer_ca_id, r.n]));
}
