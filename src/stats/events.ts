/**
 * The daily events the statistics count, as SQL text over certificate, status-change and signing
 * account rows: shared by the aggregates' fold and rebuild (migrations/006_stats_aggregates.ts)
 * and by the queries that count the edge days of a window straight from the certificates
 * (src/db/stats-repo.ts). Issuance events (`issued`, `expiring`: two per certificate) and
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
 * Issued and expiring events of the Vietnam days [start, end) (SQL date expressions, typically
 * date literals), read from the certificates through the notBefore and notAfter indexes, which
 * cover the dimensions: the single days at a window's edges, for the cubes kept down to dekads or
 * months (src/stats/cubes.ts).
 */
export const issuanceEventsDuring = (start: string, end: string) => `
  ${issuedEvents(`(select * from certificates where ${during('not_before', start, end)})`)}
  union all
  ${expiringEvents(`(select * from certificates where ${during('not_after', start, end)})`)}`;

/** Issuance events per organization of the Vietnam days [start, end), with a count of 1 each. */
export const organizationEventsDuring = (start: string, end: string) =>
  `select e.*, 1 as issued from (${organizationEvents(`(select * from certificates where ${during('not_before', start, end)})`)}) e`;
