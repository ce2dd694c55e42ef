import type { Knex } from 'knex';
import { isUuid } from './ids.js';
import { statementName } from './prepared.js';

/** A row of `organizations`. */
export interface OrganizationRow {
  id: string;
  name: string;
  code: string;
  sector: string;
  province: string;
  parent_id: string | null;
  created_at: Date;
}

/** A row of `sectors`. */
export interface SectorRow {
  code: string;
  name: string;
}

/** All sectors, by code. */
export function listSectors(knex: Knex): Promise<SectorRow[]> {
  return knex<SectorRow>('sectors').orderBy('code').select('code', 'name');
}

/** The sector with this code, if any. */
export function findSector(knex: Knex, code: string): Promise<SectorRow | undefined> {
  return knex<SectorRow>('sectors').where({ code }).first();
}

/** Inserts a sector. */
export async function insertSector(knex: Knex, row: SectorRow): Promise<void> {
  await knex('sectors').insert(row);
}

/** The organization with this id, if any. */
export async function findOrganization(knex: Knex, id: string): Promise<OrganizationRow | undefined> {
  return isUuid(id) ? knex<OrganizationRow>('organizations').where({ id }).first() : undefined;
}

/** The organizations with these ids, by id: issuance and import copy their sector and province. */
export async function findOrganizations(knex: Knex, ids: string[]): Promise<Map<string, OrganizationRow>> {
  // A text that is not a uuid names no organization (callers answer 404), never a uuid cast error.
  const uuids = ids.filter(isUuid);
  if (uuids.length === 0) return new Map();
  const result = await knex.raw(FIND_ORGANIZATIONS, [uuids]).options({ name: statementName(FIND_ORGANIZATIONS) });
  return new Map((result.rows as OrganizationRow[]).map((r) => [r.id, r]));
}

// Every request and approval reads its organization: one prepared text for any number of ids (prepared.ts).
const FIND_ORGANIZATIONS = 'select id, name, code, sector, province, parent_id, created_at from organizations where id = any(?::uuid[])';

/** The organization with this code, if any. */
export function findOrganizationByCode(knex: Knex, code: string): Promise<OrganizationRow | undefined> {
  return knex<OrganizationRow>('organizations').where({ code }).first();
}

/** Inserts an organization. */
export async function insertOrganization(knex: Knex, row: OrganizationRow): Promise<void> {
  await knex('organizations').insert(row);
}

/** Changes some columns of one organization. */
export async function updateOrganization(knex: Knex, id: string, changes: Partial<Omit<OrganizationRow, 'id' | 'created_at'>>): Promise<void> {
  await knex('organizations').where({ id }).update(changes);
}

/** Organizations ordered by id, after `afterId`, optionally only `onlyId`. */
export function listOrganizations(
  knex: Knex,
  q: { onlyId?: string; sector?: string; province?: string; afterId?: string; limit: number },
): Promise<OrganizationRow[]> {
  const query = knex<OrganizationRow>('organizations').orderBy('id').limit(q.limit);
  if (q.onlyId) query.where('id', q.onlyId);
  if (q.sector) query.where('sector', q.sector);
  if (q.province) query.where('province', q.province);
  if (q.afterId) query.where('id', '>', q.afterId);
  return query.select('*');
}
