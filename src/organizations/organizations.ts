import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { seesAllOrganizations, type Actor, type Principal } from '../auth/principal.js';
import { Conflict, NotFound, Refused } from '../errors.js';
import {
  findOrganization,
  findOrganizationByCode,
  findSector,
  insertOrganization,
  insertSector,
  listOrganizations,
  listSectors,
  updateOrganization,
  type OrganizationRow,
  type SectorRow,
} from '../db/organizations-repo.js';
import { requireRole } from '../auth/authorize.js';
import { closestProvince, listedProvince } from './provinces.js';

/** An organization as the API shows it. */
export interface Organization {
  id: string;
  name: string;
  code: string;
  sector: string;
  province: string;
  parentId: string | null;
  createdAt: string;
}

/** Sectors and organizations: who belongs where, for tenancy and statistics. */
export class OrganizationService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {}

  /** Every sector. */
  sectors(): Promise<SectorRow[]> {
    return listSectors(this.knex);
  }

  /** Adds a sector (admin). */
  async createSector(actor: Actor, input: { code: string; name: string }): Promise<SectorRow> {
    requireRole(actor.principal, 'admin');
    return this.knex.transaction(async (trx) => {
      if (await findSector(trx, input.code)) throw new Conflict(`sector ${input.code} already exists`);
      await insertSector(trx, input);
      await recordAudit(trx, this.clock, actor, {
        action: 'sector.create',
        target: { type: 'sector', id: input.code },
        details: { name: input.name },
      });
      return input;
    });
  }

  /** Creates an organization (admin); its sector must exist and its code be unique. */
  async create(
    actor: Actor,
    input: { name: string; code: string; sector: string; province: string; parentId?: string },
  ): Promise<Organization> {
    requireRole(actor.principal, 'admin');
    const province = checkProvince(input.province);
    return this.knex.transaction(async (trx) => {
      await checkSector(trx, input.sector);
      if (input.parentId && !(await findOrganization(trx, input.parentId))) {
        throw new Refused('parent organization does not exist', [{ path: 'parentId', message: 'unknown organization' }]);
      }
      if (await findOrganizationByCode(trx, input.code)) {
        throw new Conflict(`an organization with code ${input.code} already exists`);
      }
      const row: OrganizationRow = {
        id: randomUUID(),
        name: input.name,
        code: input.code,
        sector: input.sector,
        province,
        parent_id: input.parentId ?? null,
        created_at: this.clock.now(),
      };
      await insertOrganization(trx, row);
      await recordAudit(trx, this.clock, actor, {
        action: 'organization.create',
        target: { type: 'organization', id: row.id },
        details: { name: row.name, code: row.code, sector: row.sector, province: row.province },
      });
      return toOrganization(row);
    });
  }

  /**
   * Changes an organization's name, sector, province or parent (admin). Certificates already issued keep
   * the sector and province they were issued with (product.md); only later issuance sees the change.
   */
  async update(
    actor: Actor,
    id: string,
    patch: { name?: string; sector?: string; province?: string; parentId?: string | null },
  ): Promise<Organization> {
    requireRole(actor.principal, 'admin');
    const province = patch.province === undefined ? undefined : checkProvince(patch.province);
    return this.knex.transaction(async (trx) => {
      const before = await findOrganization(trx, id);
      if (!before) throw new NotFound('organization not found');
      if (patch.sector !== undefined) await checkSector(trx, patch.sector);
      if (patch.parentId) await checkParent(trx, id, patch.parentId);
      const changes: Partial<OrganizationRow> = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.sector !== undefined ? { sector: patch.sector } : {}),
        ...(province !== undefined ? { province } : {}),
        ...(patch.parentId !== undefined ? { parent_id: patch.parentId } : {}),
      };
      const after = { ...before, ...changes };
      if (Object.keys(changes).length > 0) {
        await updateOrganization(trx, id, changes);
        const changed = Object.fromEntries(
          Object.entries(changes).map(([k, v]) => [k, { from: before[k as keyof OrganizationRow] ?? null, to: v ?? null }]),
        );
        await recordAudit(trx, this.clock, actor, {
          action: 'organization.update',
          target: { type: 'organization', id },
          details: changed,
        });
      }
      return toOrganization(after);
    });
  }

  /** Organizations the principal may see: all for staff, its own for agency and signer users. */
  async list(
    principal: Principal,
    q: { sector?: string; province?: string; cursor?: string; limit: number },
  ): Promise<{ items: Organization[]; nextCursor: string | null }> {
    const onlyId = seesAllOrganizations(principal) ? undefined : (principal.organizationId ?? '00000000-0000-0000-0000-000000000000');
    const rows = await listOrganizations(this.knex, { ...q, onlyId, afterId: q.cursor, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return {
      items: page.map(toOrganization),
      nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
    };
  }

  /** One organization; 404 when it does not exist or is not the principal's. */
  async get(principal: Principal, id: string): Promise<Organization> {
    if (!seesAllOrganizations(principal) && principal.organizationId !== id) {
      throw new NotFound('organization not found');
    }
    const row = await findOrganization(this.knex, id);
    if (!row) throw new NotFound('organization not found');
    return toOrganization(row);
  }
}

/** `province` as `GET /api/v1/provinces` lists it (the name to store); 422 naming the one probably meant otherwise. */
function checkProvince(province: string): string {
  const listed = listedProvince(province);
  if (listed) return listed;
  const close = closestProvince(province);
  const message = close ? `unknown province; did you mean "${close}"?` : 'unknown province; see GET /api/v1/provinces';
  throw new Refused(`unknown province "${province}"${close ? `: did you mean "${close}"?` : ''}`, [{ path: 'province', message }]);
}

/** 422 unless the sector exists. */
async function checkSector(knex: Knex, sector: string): Promise<void> {
  if (!(await findSector(knex, sector))) throw new Refused(`unknown sector "${sector}"`, [{ path: 'sector', message: 'unknown sector' }]);
}

/** 422 unless `parentId` exists and is neither the organization itself nor one of its descendants. */
async function checkParent(knex: Knex, id: string, parentId: string): Promise<void> {
  const seen = new Set<string>();
  for (let at: string | null = parentId; at; ) {
    if (at === id) throw new Refused('an organization cannot be its own ancestor', [{ path: 'parentId', message: 'would make a cycle' }]);
    if (seen.has(at)) break;
    seen.add(at);
    const row = await findOrganization(knex, at);
    if (!row) throw new Refused('parent organization does not exist', [{ path: 'parentId', message: 'unknown organization' }]);
    at = row.parent_id;
  }
}

/** The API view of an organization row. */
export function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    name: row.name,
    code: row.code,
    sector: row.sector,
    province: row.province,
    parentId: row.parent_id,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
