import type { Knex } from 'knex';
import { insertJsonRows } from './bulk.js';

/** A row of `audit_events`. */
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
  prev_hash: string;
  hash: string;
}

/** Locks the chain head for this transaction and returns it; appends serialize on it. */
export async function lockAuditHead(trx: Knex.Transaction): Promise<{ seq: number; hash: string }> {
  const head = await trx('audit_head').where({ id: 1 }).forUpdate().first('seq', 'hash');
  return { seq: Number(head.seq), hash: head.hash };
}

/** Inserts chained rows and moves the head past them (inside the transaction holding the head). */
export async function insertAuditRows(trx: Knex.Transaction, rows: AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await insertJsonRows(trx, 'audit_events', rows);
  const last = rows[rows.length - 1]!;
  await trx('audit_head').where({ id: 1 }).update({ seq: last.seq, hash: last.hash });
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

/** Audit rows in chain order, from `afterSeq` on, `limit` at a time. */
export function auditRowsAscending(knex: Knex, afterSeq: number, limit: number): Promise<AuditRow[]> {
  return knex<AuditRow>('audit_events').where('seq', '>', afterSeq).orderBy('seq').limit(limit).select('*');
}
