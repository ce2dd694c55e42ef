/**
 * The daily events the statistics count, as SQL text over certificate, status-change and signing
 * account rows: shared by the aggregates' fold and rebuild (migrations/006_stats_aggregates.ts)
 * and by the queries that count the edge days of a window straight from the certificates
 * (src/db/stats/queries.ts). Issuance events (`issued`, `expiring`: two per certificate) and
 * transition events (the other three: a few per hundred certificates) are kept in separate tables.
 *
 * Days are Vietnam's calendar days (`kyso_stats_day`, UTC+7). Status as of a day is a sum of daily
 * events up to that day: `issued` (notBefore day), `expiring` (notAfter day), `revoked` (revocation
 * day), `expired_revoked` (the later of notAfter and revocation day, so that a revoked certificate
 * stops counting as expired), `suspended` (+1 on the day a suspension starts, -1 on the day it ends
 * by resumption, revocation or expiry). States are exclusive: revoked, else expired, else
 * suspended, else active.
 */

/** The dimensions every certificate statistic can group by, as columns of an event row. */
export const DIMENSIONS = ['holder', 'medium', 'sector', 'province', 'issuer'] as const;

/** The status counters of an issuance event row. */
export const ISSUANCE_COUNTERS = ['issued', 'expiring'] as const;

/** The status counters of a transition event row. */
export const TRANSITION_COUNTERS = ['revoked', 'expired_revoked', 'suspended'] as const;

const DIMENSION_SQL = DIMENSIONS.join(', ');
/** The dimensions read from a certificate row `src` (`issuer`: its issuer's code, joined as `si`). */
const CERTIFICATE_DIMENSIONS = 'src.holder, src.medium, src.sector, src.province, si.code as issuer';

/** Joins a certificate relation `alias` to the code of its issuer (`stats_issuers`). */
const ISSUER_CODE = (alias: string) => `join stats_issuers si on si.dn = ${alias}.issuer_dn`;

/** Status transitions of some status-change rows (relation `changes`), each with the status before it. */
export const transitionsOf = (changes: string) => `
  select c.holder, c.medium, c.sector, c.province, si.code as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(p.status, 'active') as prev_status, p.at as prev_at
  from ${changes} n
  join certificates c on c.id = n.certificate_id
  ${ISSUER_CODE('c')}
  left join lateral (
    select x.status, x.at from certificate_status_changes x
    where x.certificate_id = n.certificate_id and x.id < n.id
    order by x.id desc limit 1
  ) p on true`;

/** Status transitions of the whole history. */
export const HISTORY_TRANSITIONS = `
  select c.holder, c.medium, c.sector, c.province, si.code as issuer, c.not_after,
         n.status, n.at, n.reason, coalesce(n.prev_status, 'active') as prev_status, n.prev_at
  from (
    select certificate_id, status, at, reason,
           lag(status) over w as prev_status, lag(at) over w as prev_at
    from certificate_status_changes
    window w as (partition by certificate_id order by id)
  ) n
  join certificates c on c.id = n.certificate_id
  ${ISSUER_CODE('c')}`;

/** Issued events of certificates (relation `source`: certificate rows), on their notBefore day. */
const issuedEvents = (source: string) => `
  select kyso_stats_day(src.not_before) as day, ${CERTIFICATE_DIMENSIONS},
         1 as issued, 0 as expiring from ${source} src ${ISSUER_CODE('src')}`;

/** Expiring events of certificates (relation `source`: certificate rows), on their notAfter day. */
const expiringEvents = (source: string) => `
  select kyso_stats_day(src.not_after) as day, ${CERTIFICATE_DIMENSIONS}, 0 as issued, 1 as expiring from ${source} src ${ISSUER_CODE('src')}`;

/** Daily events of certificates (relation `source`: certificate rows): issued and expiring. */
export const issuanceEvents = (source: string) => `${issuedEvents(source)} union all ${expiringEvents(source)}`;

/** Daily events of status transitions (see the header comment for the arithmetic). */
export const transitionEvents = (transitions: string) => `
  with t as (
    select *, kyso_stats_day(at) as day_at, kyso_stats_day(not_after) as day_exp,
           kyso_stats_day(prev_at) as day_prev from (${transitions}) tr
    where status <> prev_status and prev_status <> 'revoked'
  )
  select day_at as day, ${DIMENSION_SQL}, 1 as revoked, 0 as expired_revoked, 0 as suspended from t where status = 'revoked'
  union all
  select greatest(day_at, day_exp), ${DIMENSION_SQL}, 0, 1, 0 from t where status = 'revoked'
  union all
  select day_at, ${DIMENSION_SQL}, 0, 0, 1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_exp, ${DIMENSION_SQL}, 0, 0, -1 from t where status = 'suspended' and day_at < day_exp
  union all
  select day_at, ${DIMENSION_SQL}, 0, 0, -1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp
  union all
  select day_exp, ${DIMENSION_SQL}, 0, 0, 1 from t
    where prev_status = 'suspended' and day_prev < day_exp and day_at < day_exp`;

/** Issuance events per organization (relation `source`: certificate rows), one row per certificate. */
export const organizationEvents = (source: string) =>
  `select kyso_stats_day(src.not_before) as day, src.organization_id, ${CERTIFICATE_DIMENSIONS} from ${source} src ${ISSUER_CODE('src')}`;

/** The instant a Vietnam calendar day (SQL date expression) begins, as timestamptz. */
const dayStart = (day: string) => `((${day})::timestamp - interval '7 hours') at time zone 'UTC'`;

/** `column` (timestamptz) falls in the Vietnam days [start, end) (SQL date expressions). */
const during = (column: string, start: string, end: string) => `(${column} >= ${dayStart(start)} and ${column} < ${dayStart(end)})`;

/**
 * The events of the certificates whose `column` falls in the Vietnam days [start, end) (SQL date
 * expressions, typically date literals), counted per day and per cell of a cube that keeps
 * `dimensions` (the other keys blank: '' or issuer 0), in `counters` (the event counted as
 * `counter`, the others zero): the single days at a window's edges, for the cubes kept down to
 * dekads or months (src/db/stats/cubes.ts), read through the notBefore and notAfter indexes, which
 * cover the dimensions. Issuers are looked up once per cell, not per certificate.
 */
function countedDuring(
  branches: ReadonlyArray<{ column: string; counter: string }>,
  keys: readonly string[],
  dimensions: readonly string[],
  counters: readonly string[],
  start: string,
  end: string,
): string {
  const kept = keys.map((k) => (!dimensions.includes(k) ? null : k === 'issuer' ? 'issuer_dn' : k));
  const columns = kept.filter((k): k is string => k !== null);
  const union = branches
    .map(({ column, counter }) => {
      const values = counters.map((c) => `${c === counter ? 1 : 0} as ${c}`).join(', ');
      return `select kyso_stats_day(${column}) as day, ${[...columns, values].join(', ')} from certificates where ${during(column, start, end)}`;
    })
    .join(' union all ');
  const out = keys.map((k, i) => (kept[i] === null ? (k === 'issuer' ? '0::smallint' : `''`) : k === 'issuer' ? 'si.code' : `c.${k}`));
  return `select c.day, ${out.map((o, i) => `${o} as ${keys[i]}`).join(', ')}, ${counters.map((n) => `c.${n}`).join(', ')}
    from (select day, ${[...columns, ...counters.map((n) => `sum(${n}) as ${n}`)].join(', ')}
          from (${union}) e group by ${['day', ...columns].join(', ')}) c
    ${columns.includes('issuer_dn') ? 'join stats_issuers si on si.dn = c.issuer_dn' : ''}`;
}

/** Issued and expiring events (`counters`, one or both) of the Vietnam days [start, end), per day and cell of a cube keeping `dimensions`. */
export const issuanceEventsDuring = (start: string, end: string, counters: readonly string[], dimensions: readonly string[]) =>
  countedDuring(
    [
      ...(counters.includes('issued') ? [{ column: 'not_before', counter: 'issued' }] : []),
      ...(counters.includes('expiring') ? [{ column: 'not_after', counter: 'expiring' }] : []),
    ],
    DIMENSIONS,
    dimensions,
    counters,
    start,
    end,
  );

/** Issuance per organization of the Vietnam days [start, end), per day and cell of a cube keeping `dimensions`. */
export const organizationEventsDuring = (start: string, end: string, _counters: readonly string[], dimensions: readonly string[]) =>
  countedDuring([{ column: 'not_before', counter: 'issued' }], ['organization_id', ...DIMENSIONS], dimensions, ['issued'], start, end);
