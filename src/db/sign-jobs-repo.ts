import type { Knex } from 'knex';
import { isUuid } from './ids.js';

/** One file's outcome in a sign job. */
export interface SignJobResult {
  index: number;
  name: string;
  status: 'signed' | 'failed';
  error?: string;
}

/** A row of `sign_jobs`. */
export interface SignJobRow {
  id: string;
  account_id: string;
  owner_id: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  failed: number;
  results: SignJobResult[];
  error: string | null;
  created_at: Date;
  heartbeat_at: Date;
  finished_at: Date | null;
  expires_at: Date | null;
}

/** Records a new running job. */
export async function insertSignJob(knex: Knex, row: SignJobRow): Promise<void> {
  await knex('sign_jobs').insert({ ...row, results: JSON.stringify(row.results) });
}

/** One job (none for an id that is not a UUID). */
export async function findSignJob(knex: Knex, id: string): Promise<SignJobRow | undefined> {
  if (!isUuid(id)) return undefined;
  return knex<SignJobRow>('sign_jobs').where({ id }).first();
}

/** Writes a job's progress (and, when it ends, its final status). */
export async function updateSignJob(
  knex: Knex,
  id: string,
  changes: Partial<Pick<SignJobRow, 'status' | 'done' | 'failed' | 'results' | 'error' | 'heartbeat_at' | 'finished_at' | 'expires_at'>>,
  onlyIfRunning = false,
): Promise<number> {
  const query = knex('sign_jobs')
    .where({ id })
    .update({ ...changes, ...(changes.results ? { results: JSON.stringify(changes.results) } : {}) });
  if (onlyIfRunning) query.where('status', 'running');
  return query;
}

/** Running jobs whose heartbeat stopped before `before` (their instance died): failed, kept for download. */
export async function failAbandonedJobs(knex: Knex, before: Date, now: Date, expiresAt: Date, error: string): Promise<string[]> {
  const rows: Array<{ id: string }> = await knex('sign_jobs')
    .where('status', 'running')
    .where('heartbeat_at', '<', before)
    .update({ status: 'failed', error, finished_at: now, expires_at: expiresAt })
    .returning('id');
  return rows.map((r) => r.id);
}

/** Deletes the jobs whose results expired; returns their ids (their files are removed by the caller). */
export async function deleteExpiredJobs(knex: Knex, now: Date): Promise<string[]> {
  const rows: Array<{ id: string }> = await knex('sign_jobs').where('expires_at', '<', now).delete().returning('id');
  return rows.map((r) => r.id);
}
