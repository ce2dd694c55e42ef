import type { Knex } from 'knex';
import { statementName } from './prepared.js';
import type { UserRow } from './users-repo.js';

/** Stores a session under the hash of its token. */
export async function insertSession(
  knex: Knex,
  row: { token_hash: string; user_id: string; created_at: Date; expires_at: Date },
): Promise<void> {
  await knex('sessions').insert(row);
}

/** The user of a live (unexpired, not logged-out) session, unless the user is disabled. */
export async function findSessionUser(knex: Knex, tokenHash: string, now: Date): Promise<UserRow | undefined> {
  const result = await knex.raw(SESSION_USER, [tokenHash, now]).options({ name: statementName(SESSION_USER) });
  return (result.rows as UserRow[])[0];
}

// Every authenticated request runs it: prepared, so its columns are named (prepared.ts).
const SESSION_USER = `select u.id, u.username, u.password_hash, u.role, u.organization_id, u.full_name, u.created_at,
    u.disabled_at, u.must_change_password
  from sessions s join users u on u.id = s.user_id
  where s.token_hash = ? and s.revoked_at is null and u.disabled_at is null and s.expires_at > ?`;

/** Ends a session; returns whether one was live. */
export async function revokeSession(knex: Knex, tokenHash: string, now: Date): Promise<boolean> {
  const n = await knex('sessions').where({ token_hash: tokenHash }).whereNull('revoked_at').update({ revoked_at: now });
  return n > 0;
}

/** Ends every live session of a user except the one whose token hash is `keep`; returns how many. */
export function revokeUserSessions(knex: Knex, userId: string, now: Date, keep?: string): Promise<number> {
  const query = knex('sessions').where({ user_id: userId }).whereNull('revoked_at').where('expires_at', '>', now);
  if (keep) query.whereNot({ token_hash: keep });
  return query.update({ revoked_at: now });
}

/** A login-throttle counter: of one (username, client address), or of one address (username ''). */
export interface ThrottleRow {
  username: string;
  ip: string;
  failures: number;
  window_start: Date;
  blocked_until: Date | null;
}

/** The counters of a (username, address) pair and of the address alone. */
export function findThrottles(knex: Knex, username: string, ip: string): Promise<ThrottleRow[]> {
  return knex<ThrottleRow>('login_throttle')
    .where({ ip })
    .whereIn('username', [username, ''])
    .select('*');
}

/**
 * Counts one failure on a counter in one statement (concurrent failures do not lose counts): a
 * window older than `windowMs` starts over at 1; reaching `max` blocks until `now + blockMs`.
 */
export async function countFailure(
  knex: Knex,
  key: { username: string; ip: string },
  now: Date,
  limits: { max: number; windowMs: number; blockMs: number },
): Promise<ThrottleRow> {
  const windowStart = new Date(now.getTime() - limits.windowMs);
  const blockedUntil = new Date(now.getTime() + limits.blockMs);
  const { rows } = await knex.raw<{ rows: ThrottleRow[] }>(
    `insert into login_throttle as t (username, ip, failures, window_start, blocked_until)
     values (?, ?, 1, ?, case when 1 >= ? then ?::timestamptz end)
     on conflict (username, ip) do update set
       failures = case when t.window_start < ? then 1 else t.failures + 1 end,
       window_start = case when t.window_start < ? then excluded.window_start else t.window_start end,
       blocked_until = case
         when (case when t.window_start < ? then 1 else t.failures + 1 end) >= ? then ?::timestamptz
         else t.blocked_until end
     returning *`,
    [key.username, key.ip, now, limits.max, blockedUntil, windowStart, windowStart, windowStart, limits.max, blockedUntil],
  );
  return rows[0]!;
}

/** Forgets the failures of a (username, address) pair, after a successful login from there. */
export async function clearThrottle(knex: Knex, username: string, ip: string): Promise<void> {
  await knex('login_throttle').where({ username, ip }).delete();
}

/** Forgets every failure counted against a username, from any address (an admin's unlock). */
export function clearUserThrottles(knex: Knex, username: string): Promise<number> {
  return knex('login_throttle').where({ username }).delete();
}

/** Deletes counters whose window and block are both over; returns how many. */
export function sweepThrottles(knex: Knex, windowStart: Date, now: Date): Promise<number> {
  return knex('login_throttle')
    .where('window_start', '<', windowStart)
    .where((q) => void q.whereNull('blocked_until').orWhere('blocked_until', '<', now))
    .delete();
}

/**
 * Keeps at most `max` counters: beyond that, the oldest (username, address) counters that block
 * nobody go first (per-address counters, which stop spraying, are kept).
 */
export async function capThrottles(knex: Knex, max: number, now: Date): Promise<number> {
  const [{ count }] = await knex('login_throttle').count<{ count: number }[]>({ count: '*' });
  const excess = Number(count) - max;
  if (excess <= 0) return 0;
  return knex('login_throttle')
    .whereIn(
      ['username', 'ip'],
      knex('login_throttle')
        .select('username', 'ip')
        .whereNot({ username: '' })
        .where((q) => void q.whereNull('blocked_until').orWhere('blocked_until', '<', now))
        .orderBy('window_start')
        .limit(excess),
    )
    .delete();
}
