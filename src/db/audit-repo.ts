import type { Knex } from 'knex';
import { insertJsonRows } from './bulk.js';

/** A row of `audit_events`; `chain_seq`, `prev_hash` and `hash` stay null until the sequencer chains it. */
export interface AuditRow {
  seq: number;
  at: Date;
  actor_id: string | null;
  actor_username: string | null;
  actor_role: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  chain_seq: number | null;
  prev_hash: string | null;
  hash: string | null;
}

/** What a writer appends: the event without its sequence number or chain fields. */
export type NewAuditRow = Omit<AuditRow, 'seq' | 'chain_seq' | 'prev_hash' | 'hash'>;

/** A chained row as verification reads it. */
export type ChainedAuditRow = AuditRow & { chain_seq: number; prev_hash: string; hash: string };

/** A row of `audit_checkpoints` with the DER of the certificate whose key signed it. */
export interface CheckpointRow {
  seq: number;
  hash: string;
  at: Date;
  signature: Buffer;
  ca_id: string;
  certificate: Buffer;
}

/** Appends events in the caller's transaction (one statement, no lock: `seq` comes from its sequence). */
export async function insertAuditEvents(trx: Knex.Transaction, rows: readonly NewAuditRow[]): Promise<void> {
  await insertJsonRows(trx, 'audit_events', rows);
}

/**
 * Takes the sequencer's lock for this transaction when nobody holds it. Its own statement, so that
 * what the transaction reads next sees everything the previous holder committed.
 */
export async function tryLockSequencer(trx: Knex.Transaction): Promise<boolean> {
  const result = await trx.raw('select pg_try_advisory_xact_lock(7215012) as locked');
  return Boolean((result.rows as Array<{ locked: boolean }>)[0]!.locked);
}

/** The chain's head and the position of the last checkpoint. */
export async function chainHead(knex: Knex): Promise<{ seq: number; hash: string; checkpointSeq: number }> {
  const result = await knex.raw(
    'select h.seq, h.hash, coalesce((select max(seq) from audit_checkpoints), 0) as checkpoint_seq from audit_head h where h.id = 1',
  );
  const row = (result.rows as Array<{ seq: string | number; hash: string; checkpoint_seq: string | number }>)[0]!;
  return { seq: Number(row.seq), hash: row.hash, checkpointSeq: Number(row.checkpoint_seq) };
}

/** Committed events not chained yet, oldest append first. */
export function pendingAuditRows(knex: Knex, limit: number): Promise<AuditRow[]> {
  return knex<AuditRow>('audit_events').whereNull('chain_seq').orderBy('seq').limit(limit).select('*');
}

/** The chain moved, or its events were chained, since a stretch was read: nothing of it was written. */
export class StretchOutdated extends Error {}

/**
 * Writes a chained stretch in one statement: each event's chain fields, the head, and the
 * signed checkpoint that closes the stretch — only if the head is still `from` and every event
 * is still unchained; otherwise throws StretchOutdated, and the transaction must roll back (the
 * statement's other updates ran).
 */
export async function writeChainedStretch(
  trx: Knex.Transaction,
  from: { seq: number; hash: string },
  links: ReadonlyArray<{ seq: number; chain_seq: number; prev_hash: string; hash: string }>,
  checkpoint: Omit<CheckpointRow, 'certificate'>,
): Promise<void> {
  const result = await trx.raw(
    `with chained as (
       update audit_events e set chain_seq = v.chain_seq, prev_hash = v.prev_hash, hash = v.hash
       from jsonb_to_recordset(?::jsonb) as v(seq bigint, chain_seq bigint, prev_hash text, hash text)
       where e.seq = v.seq and e.chain_seq is null
       returning 1
     ), head as (
       update audit_head set seq = ?, hash = ? where id = 1 and seq = ? and hash = ? returning 1
     )
     insert into audit_checkpoints (seq, hash, at, signature, ca_id)
     select ?, ?, ?, ?, ? where (select count(*) from chained) = ? and (select count(*) from head) = 1
     returning seq`,
    [
      JSON.stringify(links),
      checkpoint.seq,
      checkpoint.hash,
      from.seq,
      from.hash,
      checkpoint.seq,
      checkpoint.hash,
      checkpoint.at,
      checkpoint.signature,
      checkpoint.ca_id,
      links.length,
    ],
  );
  if ((result.rows as unknown[]).length !== 1) {
    throw new StretchOutdated(`audit stretch ending at ${checkpoint.seq} was read before the chain moved`);
  }
}

/** Events appended but not chained yet. */
export async function countPendingAudit(knex: Knex): Promise<number> {
  const row = await knex('audit_events').whereNull('chain_seq').count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Chained events in chain order, from position `afterChainSeq` on, `limit` at a time. */
export function chainedAuditRows(knex: Knex, afterChainSeq: number, limit: number): Promise<ChainedAuditRow[]> {
  return knex<AuditRow>('audit_events')
    .where('chain_seq', '>', afterChainSeq)
    .orderBy('chain_seq')
    .limit(limit)
    .select('*') as unknown as Promise<ChainedAuditRow[]>;
}

/** Checkpoints from position `afterSeq` on, oldest first, with their signers' certificates. */
export function checkpointsAscending(knex: Knex, afterSeq: number, limit: number): Promise<CheckpointRow[]> {
  return knex('audit_checkpoints as p')
    .join('certificate_authorities as c', 'c.id', 'p.ca_id')
    .where('p.seq', '>', afterSeq)
    .orderBy('p.seq')
    .limit(limit)
    .select('p.seq', 'p.hash', 'p.at', 'p.signature', 'p.ca_id', 'c.der as certificate');
}

/** Checkpoints newest first, before position `beforeSeq` when given. */
export function checkpointsDescending(knex: Knex, beforeSeq: number | undefined, limit: number): Promise<CheckpointRow[]> {
  const query = knex('audit_checkpoints as p')
    .join('certificate_authorities as c', 'c.id', 'p.ca_id')
    .orderBy('p.seq', 'desc')
    .limit(limit)
    .select('p.seq', 'p.hash', 'p.at', 'p.signature', 'p.ca_id', 'c.der as certificate');
  if (beforeSeq !== undefined) query.where('p.seq', '<', beforeSeq);
  return query;
}

/** Filters of the audit listing. */
export interface AuditQuery {
  from?: Date;
  to?: Date;
  actor?: string;
  action?: string;
  beforeSeq?: number;
  limit: number;
}

/** Audit rows newest first. */
export function listAuditRows(knex: Knex, q: AuditQuery): Promise<AuditRow[]> {
  const query = knex<AuditRow>('audit_events').orderBy('seq', 'desc').limit(q.limit);
  if (q.from) query.where('at', '>=', q.from);
  if (q.to) query.where('at', '<=', q.to);
  if (q.actor) query.where('actor_username', q.actor);
  if (q.action) query.where('action', q.action);
  if (q.beforeSeq !== undefined) query.where('seq', '<', q.beforeSeq);
  return query.select('*');
}
