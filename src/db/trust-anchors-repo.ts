import type { Knex } from 'knex';
import { isUuid } from './ids.js';

/** A row of `trust_anchors`: a CA certificate of another PKI that kyso trusts. */
export interface TrustAnchorRow {
  id: string;
  name: string;
  subject_dn: string;
  subject_der: Buffer;
  der: Buffer;
  fingerprint: string;
  serial: string;
  not_before: Date;
  not_after: Date;
  created_by: string | null;
  created_at: Date;
}

/** Inserts a trust anchor. */
export async function insertTrustAnchor(knex: Knex, row: TrustAnchorRow): Promise<void> {
  await knex('trust_anchors').insert(row);
}

/** Every trust anchor, oldest first. */
export function listTrustAnchors(knex: Knex): Promise<TrustAnchorRow[]> {
  return knex<TrustAnchorRow>('trust_anchors').orderBy([{ column: 'created_at' }, { column: 'id' }]).select('*');
}

/** The trust anchor with this id, if any. */
export async function findTrustAnchor(knex: Knex, id: string): Promise<TrustAnchorRow | undefined> {
  return isUuid(id) ? knex<TrustAnchorRow>('trust_anchors').where({ id }).first() : undefined;
}

/**
 * Deletes a trust anchor. The certificates imported under it stay: their link to the anchor is
 * cleared (the audit event of the deletion keeps which anchor it was).
 */
export async function deleteTrustAnchor(knex: Knex, id: string): Promise<void> {
  await knex('certificates').where({ trust_anchor_id: id }).update({ trust_anchor_id: null });
  await knex('trust_anchors').where({ id }).delete();
}

/** The trust anchor with this SHA-256 fingerprint, if any. */
export function findTrustAnchorByFingerprint(knex: Knex, fingerprint: string): Promise<TrustAnchorRow | undefined> {
  return knex<TrustAnchorRow>('trust_anchors').where({ fingerprint }).first();
}
