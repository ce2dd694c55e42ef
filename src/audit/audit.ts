import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Actor } from '../auth/principal.js';
import { insertAuditEvents, listAuditRows, type AuditQuery, type AuditRow, type NewAuditRow } from '../db/audit-repo.js';

/** A state change to record: what was done to which target, with details for the reader. */
export interface AuditEvent {
  readonly action: string;
  readonly target?: { type: string; id: string };
  readonly details?: Record<string, unknown>;
}

/**
 * Appends events to the audit log inside the caller's transaction, so the trail holds exactly
 * the changes that commit. Writers take no lock and never wait on one another: the sequencer
 * (`AuditSequencer`) chains committed events within a second, hashing each over its content
 * and its predecessor's hash, and signs a checkpoint over each chained stretch.
 */
export async function recordAudit(
  trx: Knex.Transaction,
  clock: Clock,
  actor: Actor,
  events: AuditEvent | readonly AuditEvent[],
): Promise<void> {
  const list = Array.isArray(events) ? (events as readonly AuditEvent[]) : [events as AuditEvent];
  if (list.length === 0) return;
  const at = clock.now();
  const rows: NewAuditRow[] = list.map((event) => ({
    at,
    actor_id: actor.principal?.id ?? null,
    actor_username: actor.principal?.username ?? null,
    actor_role: actor.principal?.role ?? null,
    action: event.action,
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    ip: actor.ip,
    details: event.details ?? {},
  }));
  await insertAuditEvents(trx, rows);
}

/**
 * SHA-256 over the previous hash and a canonical JSON of the event's fields, as stored. `seq` is
 * the event's own number (given at append); its place in the chain is fixed by `prev_hash`.
 */
export function hashEvent(row: Omit<AuditRow, 'hash' | 'chain_seq' | 'prev_hash'>, prevHash: string): string {
  const canonical = canonicalJson({
    seq: Number(row.seq),
    at: new Date(row.at).toISOString(),
    actorId: row.actor_id,
    actorUsername: row.actor_username,
    actorRole: row.actor_role,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    ip: row.ip,
    details: row.details,
  });
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

/** JSON with object keys sorted at every level, so jsonb's key reordering does not change hashes. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** An audit event as the API shows it. */
export interface AuditView {
  seq: number;
  at: string;
  actor: { id: string; username: string; role: string } | null;
  action: string;
  target: { type: string; id: string } | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** Audit events newest first, with the cursor of the next page. */
export async function listAudit(
  knex: Knex,
  query: AuditQuery,
): Promise<{ items: AuditView[]; nextCursor: string | null }> {
  const rows = await listAuditRows(knex, { ...query, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => ({
      seq: Number(r.seq),
      at: new Date(r.at).toISOString(),
      actor: r.actor_id ? { id: r.actor_id, username: r.actor_username!, role: r.actor_role! } : null,
      action: r.action,
      target: r.target_type ? { type: r.target_type, id: r.target_id! } : null,
      ip: r.ip,
      details: r.details,
    })),
    nextCursor: rows.length > query.limit ? String(page[page.length - 1]!.seq) : null,
  };
}
