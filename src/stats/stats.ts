import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { requireRole } from '../auth/authorize.js';
import type { Principal } from '../auth/principal.js';
import { nextDay } from '../db/stats/periods.js';
import { listOrganizationNames, queryStats, type StatsCounter, type StatsGroupKey, type StatsQuery, type StatsReport } from '../db/stats/queries.js';

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
} as const satisfies Record<string, readonly StatsGroupKey[]>;

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
 * Statistics over the aggregate tables of migrations/006_stats_aggregates.ts (fed through the
 * triggers' queue): issuance, revocations, status at a cut-off date and signing accounts.
 * Officers, admins and auditors read them.
 */
export class StatisticsService {
  /**
   * Every organization's name and place in Vietnamese order, for the rows grouped by organization:
   * sorting tens of thousands of names per request would cost more than the query (60 ms for
   * 20,000 with Intl.Collator or ICU in PostgreSQL). Reloaded when `organizations_version` moves.
   */
  private organizations?: Promise<OrganizationOrder>;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {}

  /** Certificates issued (by notBefore) in the window. */
  async issuance(principal: Principal | null, query: RangeQuery): Promise<CountReport> {
    return this.count(principal, 'issuance', 'issued', query);
  }

  /** Revocations (by revocation date) in the window. */
  async revocations(principal: Principal | null, query: RangeQuery): Promise<CountReport> {
    return this.count(principal, 'revocations', 'revoked', query);
  }

  /** Signing accounts created in the window. */
  async signingAccounts(principal: Principal | null, query: RangeQuery): Promise<CountReport> {
    return this.count(principal, 'signingAccounts', 'accounts', query);
  }

  /** Issued, active, suspended, revoked and expired certificates at the end of `asOf` (default today). */
  async status(principal: Principal | null, query: { asOf?: string; groupBy: string[] }): Promise<StatusReport> {
    requireRole(principal, 'officer', 'admin', 'auditor');
    const asOf = query.asOf ?? vietnamDay(this.clock.now());
    const rows = await this.ask({
      report: 'status',
      groupBy: query.groupBy as StatsGroupKey[],
      window: { start: null, end: nextDay(asOf) },
      counters: ['issued', 'revoked', 'expired', 'suspended'],
    });
    const total: StatusCounts = { issued: 0, active: 0, suspended: 0, revoked: 0, expired: 0 };
    const withActive = rows.map((row) => {
      const { issued, revoked, expired, suspended } = row as Record<keyof StatusCounts, number>;
      const counts = { issued, active: issued - revoked - expired - suspended, suspended, revoked, expired };
      for (const k of Object.keys(total) as Array<keyof StatusCounts>) total[k] += counts[k];
      return Object.assign(row, counts);
    });
    return { asOf, groupBy: query.groupBy, rows: withActive, total };
  }

  /** Counts one `counter` of a report over a window. */
  private async count(principal: Principal | null, report: StatsReport, counter: StatsCounter, query: RangeQuery): Promise<CountReport> {
    requireRole(principal, 'officer', 'admin', 'auditor');
    const rows = await this.ask({
      report,
      groupBy: query.groupBy as StatsGroupKey[],
      window: { start: query.from ?? null, end: query.to ? nextDay(query.to) : null },
      counters: [counter],
    });
    for (const row of rows) {
      row.count = row[counter]!;
      delete row[counter];
    }
    return {
      from: query.from ?? null,
      to: query.to ?? null,
      groupBy: query.groupBy,
      rows,
      total: rows.reduce((n, row) => n + (row.count as number), 0),
    };
  }

  /**
   * The rows of a query sorted for people: its groupBy keys (strings; the organization's name
   * beside it) and its counters (numbers).
   */
  private async ask(query: StatsQuery): Promise<Array<Record<string, string | number | null>>> {
    const { rows, organizationsVersion } = await queryStats(this.knex, query);
    const organizations = query.groupBy.includes('organization') ? await this.organizationOrder(organizationsVersion) : undefined;
    return sortForPeople(rows, query.groupBy, organizations).map((row) => {
      const out: Record<string, string | number | null> = {};
      for (const key of query.groupBy) {
        out[key] = row[key]!;
        if (key === 'organization') out.organizationName = organizations!.names.get(String(row.organization)) ?? null;
      }
      for (const name of query.counters) out[name] = row[name]!;
      return out;
    });
  }

  /** The cached organization order, reloaded if the organizations changed since it was read. */
  private async organizationOrder(version: string): Promise<OrganizationOrder> {
    const cached = await this.organizations?.catch(() => undefined);
    if (cached?.version === version) return cached;
    this.organizations = listOrganizationNames(this.knex).then((list) => {
      const sorted = list.sort((a, b) => collator.compare(a.name, b.name));
      return {
        version,
        names: new Map(sorted.map((o) => [o.id, o.name])),
        rank: new Map(sorted.map((o, i) => [o.id, i])),
      };
    });
    return this.organizations;
  }
}

/** Organizations by id: name and rank in Vietnamese alphabetical order (numbers by value). */
interface OrganizationOrder {
  version: string;
  names: Map<string, string>;
  rank: Map<string, number>;
}

/**
 * Sorts rows by their `groupBy` values in Vietnamese alphabetical order (Đ after D, numbers by
 * value), organizations by name: each key's values are ranked once, the ranks of a row combined
 * into one number, and the numbers sorted natively (20,000 rows by organization: 2 ms).
 */
function sortForPeople<Row extends Record<string, string | number | null>>(rows: Row[], groupBy: readonly string[], organizations?: OrganizationOrder): Row[] {
  const rankers = groupBy.map((key): { size: number; rank: (row: Row) => number } => {
    if (key === 'organization') {
      const rank = organizations!.rank;
      // Organizations unknown to the cache (none, unless deleted meanwhile) sort last.
      return { size: rank.size + 1, rank: (row) => rank.get(String(row.organization)) ?? rank.size };
    }
    const values = [...new Set(rows.map((row) => String(row[key] ?? '')))].sort(collator.compare);
    const rank = new Map(values.map((v, i) => [v, i]));
    return { size: values.length, rank: (row) => rank.get(String(row[key] ?? ''))! };
  });
  const n = rows.length;
  if (rankers.reduce((product, r) => product * r.size, n) >= Number.MAX_SAFE_INTEGER) {
    throw new Error(`too many rows to sort (${n})`);
  }
  const keys = new Float64Array(n);
  rows.forEach((row, i) => {
    keys[i] = rankers.reduce((combined, r) => combined * r.size + r.rank(row), 0) * n + i;
  });
  keys.sort();
  return Array.from(keys, (key) => rows[key % n]!);
}

/** Vietnam's calendar day (UTC+7) of an instant, as the aggregate tables count days. */
export function vietnamDay(at: Date): string {
  return new Date(at.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}
