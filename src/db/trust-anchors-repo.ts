import type { Knex } from 'knex';

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
export function findTrustAnchor(knex: Knex, id: string): Promise<TrustAnchorRow | undefined> {
  return knex<TrustAnchorRow>('trust_anchors').where({ id }).first();
}

/** The trust anchor with this SHA-256 fingerprint, if any. */
export function findTrustAnchorByFingerprint(knex: Knex, fingerprint: string): Promise<TrustAnchorRow | undefined> {
  return knex<TrustAnchorRow>('trust_anchors').where({ fingerprint }).first();
}
