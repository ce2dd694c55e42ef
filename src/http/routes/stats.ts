import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { toCsv } from '../../shared/csv.js';
import { GROUP_KEYS, type CountReport, type StatusReport } from '../../stats/stats.js';
import type { RouteDefiner } from '../route.js';

/**
 * The days statistics can be asked about. Periods are computed on four-digit years
 * (src/db/stats/periods.ts): a window ending in 9999 would reach past them.
 */
const FIRST_DAY = '1900-01-01';
const LAST_DAY = '9998-12-31';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, 'not a calendar date')
  .refine((v) => v >= FIRST_DAY && v <= LAST_DAY, `a date from ${FIRST_DAY} to ${LAST_DAY}`);

/** `groupBy=a,b` restricted to `allowed`, as a list without repeats. */
const groupBy = (allowed: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const keys = [...new Set((value ?? '').split(',').map((k) => k.trim()).filter(Boolean))];
      for (const key of keys) {
        if (!allowed.includes(key)) ctx.addIssue({ code: 'custom', message: `unknown key "${key}"; one of: ${allowed.join(', ')}` });
      }
      return keys;
    })
    .describe(`comma-separated: ${allowed.join(', ')}`);

const format = z.enum(['json', 'csv']).optional().describe('csv = the same as Accept: text/csv');

const rangeQuery = (allowed: readonly string[]) =>
  z
    .object({ from: day.optional(), to: day.optional(), groupBy: groupBy(allowed), format })
    .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

const countReport = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  groupBy: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
  total: z.number(),
});
const statusCounts = { issued: z.number(), active: z.number(), suspended: z.number(), revoked: z.number(), expired: z.number() };
const statusReport = z.object({
  asOf: z.string(),
  groupBy: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
  total: z.object(statusCounts),
});

/** The report as JSON, or as CSV when asked by `?format=csv` or `Accept: text/csv`. */
function render(req: Request, res: Response, wantsCsv: boolean, name: string, report: CountReport | StatusReport, counts: string[]): unknown {
  if (!wantsCsv && req.accepts(['json', 'csv']) !== 'csv') return report;
  const columns = report.groupBy.flatMap((k) => (k === 'organization' ? [k, 'organizationName'] : [k]));
  res
    .status(200)
    .type('text/csv; charset=utf-8')
    .setHeader('Content-Disposition', `attachment; filename="${name}.csv"`)
    .send(toCsv([...columns, ...counts], report.rows));
  return undefined;
}

/** `GET /api/v1/stats/*`: issuance, revocations, status at a cut-off date, signing accounts (JSON or CSV). */
export function statsRoutes(route: RouteDefiner, services: Services): void {
  const common = { method: 'get' as const, tags: ['statistics'], auth: true, roles: ['officer', 'admin', 'auditor'] as const, produces: ['text/csv'] };

  const counts = [
    ['issuance', 'Certificates issued (by notBefore, Vietnam calendar days, from and to inclusive), grouped', GROUP_KEYS.issuance, 'issuance'],
    ['revocations', 'Revocations (by revocation date), grouped by reason and more', GROUP_KEYS.revocations, 'revocations'],
    ['signing-accounts', 'Centralized signing accounts (by creation date), grouped by sector, organization and more', GROUP_KEYS.signingAccounts, 'signingAccounts'],
  ] as const;
  for (const [name, summary, keys, method] of counts) {
    route(
      { ...common, path: `/api/v1/stats/${name}`, summary, query: rangeQuery(keys), response: countReport },
      async ({ query, principal, req, res }) =>
        render(req, res, query.format === 'csv', name, await services.statistics[method](principal, query), ['count']),
    );
  }

  route(
    {
      ...common,
      path: '/api/v1/stats/status',
      summary: 'Issued, active, suspended, revoked and expired certificates at the end of asOf (default today)',
      query: z.object({ asOf: day.optional(), groupBy: groupBy(GROUP_KEYS.status), format }),
      response: statusReport,
    },
    async ({ query, principal, req, res }) =>
      render(req, res, query.format === 'csv', 'status', await services.statistics.status(principal, query), [
        'issued',
        'active',
        'suspended',
        'revoked',
        'expired',
      ]),
  );
}
