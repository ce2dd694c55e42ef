import type { Knex } from 'knex';
import type { Role } from '../auth/principal.js';
import { isUuid } from './ids.js';

/** A row of `users`. */
export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  organization_id: string | null;
  full_name: string | null;
  created_at: Date;
  /** Set while the account is disabled: it cannot log in and has no live session. */
  disabled_at?: Date | null;
  /** Set by an admin's password reset: the user may only change the password until it does. */
  must_change_password?: boolean;
}

/** The user with this username, if any; usernames are case-insensitive (migration 020). */
export function findUserByUsername(knex: Knex, username: string): Promise<UserRow | undefined> {
  return knex<UserRow>('users').whereRaw('lower(username) = lower(?)', [username]).first();
}

/** Updates some columns of a user; returns the new row, or undefined when there is none. */
export async function updateUser(
  knex: Knex,
  id: string,
  changes: Partial<Pick<UserRow, 'full_name' | 'role' | 'organization_id' | 'disabled_at' | 'must_change_password' | 'password_hash'>>,
): Promise<UserRow | undefined> {
  const [row] = await knex<UserRow>('users').where({ id }).update(changes).returning('*');
  return row as UserRow | undefined;
}

/** The user with this id, locked for update until the transaction ends. */
export async function lockUser(knex: Knex, id: string): Promise<UserRow | undefined> {
  return isUuid(id) ? knex<UserRow>('users').where({ id }).forUpdate().first() : undefined;
}

/** The user with this id, if any. */
export async function findUserById(knex: Knex, id: string): Promise<UserRow | undefined> {
  return isUuid(id) ? knex<UserRow>('users').where({ id }).first() : undefined;
}

/** What the screens call each of these users: the full name, else the username (unknown ids are left out). */
export async function findUserNames(knex: Knex, ids: string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length ? await knex<UserRow>('users').whereIn('id', wanted).select('id', 'username', 'full_name') : [];
  return new Map(rows.map((r) => [r.id, r.full_name ?? r.username]));
}

/** Inserts a user. */
export async function insertUser(knex: Knex, row: UserRow): Promise<void> {
  await knex('users').insert(row);
}

/** Users, optionally of one organization, ordered by username, after `afterUsername`. */
export function listUsers(
  knex: Knex,
  q: { organizationId?: string; role?: string; afterUsername?: string; limit: number },
): Promise<UserRow[]> {
  const query = knex<UserRow>('users').orderBy('username').limit(q.limit);
  if (q.organizationId) query.where('organization_id', q.organizationId);
  if (q.role) query.where('role', q.role);
  if (q.afterUsername) query.where('username', '>', q.afterUsername);
  return query.select('*');
}

/** True when any user exists. */
export async function anyUserExists(knex: Knex): Promise<boolean> {
  return Boolean(await knex('users').first('id'));
}
