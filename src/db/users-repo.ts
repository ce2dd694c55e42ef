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
}

/** The user with this username, if any. */
export function findUserByUsername(knex: Knex, username: string): Promise<UserRow | undefined> {
  return knex<UserRow>('users').where({ username }).first();
}

/** The user with this id, if any. */
export async function findUserById(knex: Knex, id: string): Promise<UserRow | undefined> {
  return isUuid(id) ? knex<UserRow>('users').where({ id }).first() : undefined;
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
