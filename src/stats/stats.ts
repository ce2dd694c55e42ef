import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { requireRole } from '../auth/authorize.js';
import type { Principal } from '../auth/principal.js';
import { foldPending, sumAggregates, type AggregateTable, type KeyColumn } from '../db/stats-repo.js';
import { CERTIFICATE_CUBES, ORGANIZATION_CUBES, REVOCATION_CUBES, SIGNING_ACCOUNT_CUBES, smallestCube, type Cube } from './cubes.js';
import { decompose, nextDay, type Grain } from './periods.js';

/** Grouping keys and the SQL each reads from an aggregate row `s`. */
const KEY_SQL: Record<string, string> = {
  holder: 's.holder',
  medium: 's.medium',
  sector: 's.sector',
  province: 's.province',
  // Today's province after the 2025 mergers (province_mappings); unmapped names are current already.
  currentProvince: 'coalesce(pm.current_province, s.province)',
  issuer: 's.issuer',
  reason: 's.reason',
  organization: 's.organization_id',
  year: `to_char(s.period, 'YYYY')`,
  quarter: `to_char(s.period, 'YYYY-"Q"Q')`,
  month: `to_char(s.period, 'YYYY-MM')`,
};

const collator = new Intl.Collator('vi', { numeric: true });

const TIME_KEYS = ['year', 'quarter', 'month'] as const;
const PLACE_KEYS = ['sector', 'province', 'currentProvince'] as const;
const CERTIFICATE_KEYS = ['holder', 'medium', ...PLACE_KEYS, 'issuer'] as const;

/** The groupBy keys each statistic accepts. */
export const GROUP_KEYS = {
  issuance: [...CERTIFICATE_KEYS, 'organization', ...TIME_KEYS],
  revocations: ['reason', ...CERTIFICATE_KEYS, ...TIME_KEYS],
  status: [...CERTIFICATE_KEYS],
  signingAccounts: [...PLACE_KEYS, 'organization', ...TIME_KEYS],
} as const;

/** Days [start, end) to sum (null: unbounded), and whether year rows may be read. */
interface Window {
  start: string | null;
  end: string | null;
  years: boolean;
}

/** A date window (inclusive calendar days in Vietnam, either end optional) and grouping. */
export interface RangeQuery {
  from?: string;
  to?: string;
  groupBy: string[];
}

/** Counts over a date window, grouped. */
export interface CountReport {
  from: string | null;
  to: string | null;
  groupBy: string[];
  rows: Array<Record<string, string | number | null>>;
  total: number;
}

/** The five status counters of product.md's cut-off table. */
export interface StatusCounts {
  issued: number;
  active: number;
  suspended: number;
  revoked: number;
  expired: number;
}

/** Certificates by status as they stood at the end of a day, grouped. */
export interface StatusReport {
  asOf: string;
  groupBy: string[];
  rows: Array<Record<string, string | number | null> & StatusCounts>;
  total: StatusCounts;
}

/**
 * Statistics over the aggregate tables of migrations/005_stats.ts (fed through the triggers' queue):
 * issuance, revocations, status at a cut-off date and signing accounts. Officers, admins and
 * auditors read them.
 */
export class StatisticsService {
  /** Whether the server sorts Vietnamese itself (collation `kyso_vi`, migrations/005_stats.ts); asked once. */
  private sortsVietnamese?: Promise<boolean>;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {}

  /** Certificates issued (by notBefore) in the window. */
  async issuance(principal: Principal | null, query: RangeQuery): Promise<CountReport> {
    const table = query.groupBy.includes('organization') ? 'stats_certificates_org' : 'stats_certificates';
    return this.count(principal, table, 'sum(s.issued)', query);
  }

  /** Revocations (by revocation date) in the window. */
  async revocations(principal: Principal | null, query: RangeQuery): Promise<CountReport> {
    return this.count(principal, 'stats_revocations', 'sum(s.revoked)', query);
  }

  /** Signing accounts created in the window. */
  async signingAccounts(principal: Principal | null, query: RangeQuery): Promise<CountReport> {
    return this.count(principal, 'stats_signing_accounts', 'sum(s.accounts)', query);
  }

  /** Issued, active, suspended, revoked and expired certificates at the end of `asOf` (default today). */
  async status(principal: Principal | null, query: { asOf?: string; groupBy: string[] }): Promise<StatusReport> {
    requireRole(principal, 'officer', 'admin', 'auditor');
    const asOf = query.asOf ?? vietnamDay(this.clock.now());
    const rows = await this.sum('stats_certificates', query.groupBy, { start: null, end: nextDay(asOf), years: true }, {
      issued: 'sum(s.issued)',
      revoked: 'sum(s.revoked)',
      expired: 'sum(s.expiring - s.expired_revoked)',
      suspended: 'sum(s.suspended)',
    });
    const total: StatusCounts = { issued: 0, active: 0, suspended: 0, revoked: 0, expired: 0 };
    const withActive = rows.map((row) => {
      const counts = {
        issued: Number(row.issued),
        active: Number(row.issued) - Number(row.revoked) - Number(row.expired) - Number(row.suspended),
        suspended: Number(row.suspended),
        revoked: Number(row.revoked),
        expired: Number(row.expired),
      };
      for (const k of Object.keys(total) as Array<keyof StatusCounts>) total[k] += counts[k];
      return { ...keysOf(row, query.groupBy), ...counts };
    });
    return { asOf, groupBy: query.groupBy, rows: withActive, total };
  }

  private async count(principal: Principal | null, table: AggregateTable, sum: string, query: RangeQuery): Promise<CountReport> {
    requireRole(principal, 'officer', 'admin', 'auditor');
    // Year rows cannot be split into months or quarters: grouped by those, read months and finer only.
    const years = !query.groupBy.some((k) => k === 'month' || k === 'quarter');
    const window = { start: query.from ?? null, end: query.to ? nextDay(query.to) : null, years };
    const rows = await this.sum(table, query.groupBy, window, { count: sum });
    const out = rows.map((row) => ({ ...keysOf(row, query.groupBy), count: Number(row.count) }));
    return {
      from: query.from ?? null,
      to: query.to ?? null,
      groupBy: query.groupBy,
      rows: out,
      total: out.reduce((n, row) => n + row.count, 0),
    };
  }

  /** Sums over the days [start, end) of the smallest cube that keeps `groupBy`'s dimensions. */
  private async sum(table: AggregateTable, groupBy: string[], window: Window, sums: Record<string, string>) {
    const keys: KeyColumn[] = groupBy.map((name) => ({ name, sql: KEY_SQL[name]! }));
    const cube = cubeFor(table, groupBy);
    const grains: Grain[] = [...(window.years ? (['y'] as const) : []), 'm', ...(cube.finest === 'x' ? (['x'] as const) : []), 'd'];
    const byOrganization = groupBy.includes('organization');
    await foldPending(this.knex);
    // Vietnamese alphabetical order (Đ after D), organizations by name: in SQL where the server has
    // ICU (tens of thousands of organizations sort ten times faster there), else here.
    const sortKeys = groupBy.map((k) => (k === 'organization' ? 'organizationName' : k));
    this.sortsVietnamese ??= hasVietnameseCollation(this.knex);
    const inSql = await this.sortsVietnamese;
    const rows = await sumAggregates(this.knex, {
      table,
      cube,
      keys,
      labels: byOrganization ? { organizationName: 'min(o.name)' } : {},
      sums,
      ranges: decompose(window.start, window.end, grains),
      joinProvinceMappings: groupBy.includes('currentProvince'),
      joinOrganizations: byOrganization,
      orderBy: inSql ? sortKeys.map((k) => `coalesce(${k === 'organizationName' ? 'min(o.name)' : KEY_SQL[k]}, '') collate kyso_vi`) : [],
    });
    if (inSql) return rows;
    return rows.sort((a, b) => {
      for (const k of sortKeys) {
        const c = collator.compare(String(a[k] ?? ''), String(b[k] ?? ''));
        if (c) return c;
      }
      return 0;
    });
  }
}

const CUBE_DIMENSIONS = new Set(['reason', 'holder', 'medium', 'sector', 'province', 'issuer', 'organization_id']);
const CUBES: Record<AggregateTable, readonly Cube[]> = {
  stats_certificates: CERTIFICATE_CUBES,
  stats_certificates_org: ORGANIZATION_CUBES,
  stats_revocations: REVOCATION_CUBES,
  stats_signing_accounts: SIGNING_ACCOUNT_CUBES,
};
/** Grouping keys read from another column of the aggregate rows. */
const KEY_COLUMNS: Record<string, string> = { currentProvince: 'province', organization: 'organization_id' };

/** The smallest cube of `table` that keeps the dimensions `groupBy` needs. */
function cubeFor(table: AggregateTable, groupBy: string[]): Cube {
  const cubes = CUBES[table];
  const dimensions = groupBy.map((k) => KEY_COLUMNS[k] ?? k).filter((k) => CUBE_DIMENSIONS.has(k));
  return smallestCube(cubes, dimensions);
}

/** The grouping columns of a result row, in groupBy order (plus the organization's name). */
function keysOf(row: Record<string, unknown>, groupBy: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of groupBy) {
    out[key] = row[key] == null ? null : String(row[key]);
    if (key === 'organization') out.organizationName = row.organizationName == null ? null : String(row.organizationName);
  }
  return out;
}

/** Whether the database has migrations/005_stats.ts's ICU collation (PostgreSQL built with ICU; not PGlite). */
async function hasVietnameseCollation(knex: Knex): Promise<boolean> {
  const found = await knex.raw(`select 1 from pg_collation where collname = 'kyso_vi'`);
  return found.rows.length > 0;
}

/** Vietnam's calendar day (UTC+7) of an instant, as the aggregate tables count days. */
export function vietnamDay(at: Date): string {
  return new Date(at.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}
