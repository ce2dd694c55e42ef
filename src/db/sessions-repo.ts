import type { Knex } from 'knex';
import type { UserRow } from './users-repo.js';

/** Stores a session under the hash of its token. */
export async function insertSession(
  knex: Knex,
  row: { token_hash: string; user_id: string; created_at: Date; expires_at: Date },
): Promise<void> {
  await knex('sessions').insert(row);
}

/** The user of a live (unexpired, not logged-out) session. */
export function findSessionUser(knex: Knex, tokenHash: string, now: Date): Promise<UserRow | undefined> {
  return knex('sessions')
    .join('users', 'users.id', 'sessions.user_id')
    .where('sessions.token_hash', tokenHash)
    .whereNull('sessions.revoked_at')
    .where('sessions.expires_at', '>', now)
    .first('users.*');
}

/** Ends a session; returns whether one was live. */
export async function revokeSession(knex: Knex, tokenHash: string, now: Date): Promise<boolean> {
  const n = await knex('sessions').where({ token_hash: tokenHash }).whereNull('revoked_at').update({ revoked_at: now });
  return n > 0;
}

/** Login failures recorded for a username. */
export interface ThrottleRow {
  username: string;
  failures: number;
  window_start: Date;
  blocked_until: Date | null;
}

/** The throttle state of a username. */
export function findThrottle(knex: Knex, username: string): Promise<ThrottleRow | undefined> {
  return knex<ThrottleRow>('login_throttle').where({ username }).first();
}

/** Writes the throttle state of a username. */
export async function saveThrottle(knex: Knex, row: ThrottleRow): Promise<void> {
  await knex('login_throttle').insert(row).onConflict('username').merge();
}

/** Forgets a username's failures (after a successful login). */
export async function clearThrottle(knex: Knex, username: string): Promise<void> {
  await knex('login_throttle').where({ username }).delete();
}
