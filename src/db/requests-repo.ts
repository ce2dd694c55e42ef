import type { Knex } from 'knex';
import { insertJsonRows } from './bulk.js';
import type { StoredSubject } from './certificates-repo.js';
import { newestFirst } from './keyset.js';
import { statementName } from './prepared.js';

/** Kinds of certificate request (product.md "Certificate lifecycle"). */
export const REQUEST_KINDS = ['new', 'renew', 'change-info', 'revoke', 'suspend', 'resume'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
/** States of a request. */
export const REQUEST_STATUSES = ['submitted', 'approved', 'issued', 'rejected', 'cancelled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** A row of `certificate_requests`. */
export interface RequestRow {
  id: string;
  kind: RequestKind;
  status: RequestStatus;
  holder: 'individual' | 'organization';
  medium: 'token' | 'sim' | 'remote' | 'file';
  organization_id: string;
  subject: StoredSubject;
  csr: Buffer | null;
  public_key_info: Buffer | null;
  msisdn: string | null;
  carrier: string | null;
  profile: string | null;
  target_serial: string | null;
  reason: string | null;
  requested_by: string;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  certificate_serial: string | null;
  certificate_id: string | null;
}

/** Inserts requests in one statement. */
export async function insertRequests(trx: Knex.Transaction, rows: RequestRow[]): Promise<void> {
  await insertJsonRows(trx, 'certificate_requests', rows);
}

/** The request with this id, if any. */
export function findRequest(knex: Knex, id: string): Promise<RequestRow | undefined> {
  return knex<RequestRow>('certificate_requests').where({ id }).first();
}

/**
 * Locks these requests for the transaction, in id order so that two batch approvals never
 * deadlock; a concurrent approval of the same request waits here and then sees its new status.
 */
export function lockRequests(trx: Knex.Transaction, ids: string[]): Promise<Array<Omit<RequestRow, 'csr'>>> {
  // Every column but the CSR itself: approval uses the key checked at submission (public_key_info).
  return trx('certificate_requests')
    .whereIn('id', ids)
    .orderBy('id')
    .forUpdate()
    .select(REQUEST_COLUMNS_BUT_CSR);
}
/** These requests as they are now, without locking them (every column but the CSR). */
export async function findRequests(knex: Knex, ids: string[]): Promise<Array<Omit<RequestRow, 'csr'>>> {
  if (ids.length === 0) return [];
  const result = await knex.raw(FIND_REQUESTS, [ids]).options({ name: statementName(FIND_REQUESTS) });
  return result.rows as Array<Omit<RequestRow, 'csr'>>;
}

const DECIDE_REQUESTS = `update certificate_requests r set status = v.status, decided_by = v.decided_by, decided_at = v.decided_at,
       decision_reason = v.decision_reason, certificate_serial = coalesce(v.certificate_serial, r.certificate_serial),
       certificate_id = v.certificate_id
     from jsonb_to_recordset(?::jsonb) as v(id uuid, status text, decided_by uuid, decided_at timestamptz,
       decision_reason text, certificate_serial text, certificate_id uuid)
     where r.id = v.id`;
const CLAIM_REQUESTS = `${DECIDE_REQUESTS} and r.status = 'submitted' returning r.id`;

/**
 * Records decisions on requests that are still `submitted`, in one statement, and returns the ids
 * it decided: a request another approval decided meanwhile is left alone (its row lock makes the
 * second wait for the first to commit, then see it decided).
 */
export async function claimRequests(trx: Knex.Transaction, decisions: RequestDecision[]): Promise<Set<string>> {
  if (decisions.length === 0) return new Set();
  const result = await trx.raw(CLAIM_REQUESTS, [JSON.stringify(decisions)]).options({ name: statementName(CLAIM_REQUESTS) });
  return new Set((result.rows as Array<{ id: string }>).map((r) => r.id));
}

const REQUEST_COLUMNS_BUT_CSR = [
  'id', 'kind', 'status', 'holder', 'medium', 'organization_id', 'subject', 'public_key_info', 'msisdn', 'carrier', 'profile',
  'target_serial', 'reason', 'requested_by', 'created_at', 'decided_by', 'decided_at', 'decision_reason', 'certificate_serial', 'certificate_id',
];
// One prepared text for any number of ids (prepared.ts).
const FIND_REQUESTS = `select ${REQUEST_COLUMNS_BUT_CSR.join(', ')} from certificate_requests where id = any(?::uuid[])`;

/** The decision recorded on a request. */
export interface RequestDecision {
  id: string;
  status: RequestStatus;
  decided_by: string;
  decided_at: Date;
  decision_reason?: string | null;
  certificate_serial?: string | null;
  certificate_id?: string | null;
}

/** Records decisions, all in one statement (UPDATE … FROM jsonb_to_recordset). */
export async function decideRequests(trx: Knex.Transaction, decisions: RequestDecision[]): Promise<void> {
  if (decisions.length === 0) return;
  await trx.raw(DECIDE_REQUESTS, [JSON.stringify(decisions)]).options({ name: statementName(DECIDE_REQUESTS) });
}

/** Filters of the request listing. */
export interface RequestQuery {
  status?: RequestStatus;
  kind?: RequestKind;
  holder?: string;
  medium?: string;
  organizationId?: string;
  after?: { createdAt: Date; id: string };
  limit: number;
}

/** Requests newest first, filtered. */
export function listRequests(knex: Knex, q: RequestQuery): Promise<RequestRow[]> {
  const query = newestFirst<RequestRow>(knex, 'certificate_requests', q.after, q.limit);
  if (q.status) query.where('status', q.status);
  if (q.kind) query.where('kind', q.kind);
  if (q.holder) query.where('holder', q.holder);
  if (q.medium) query.where('medium', q.medium);
  if (q.organizationId) query.where('organization_id', q.organizationId);
  return query.select('*');
}
