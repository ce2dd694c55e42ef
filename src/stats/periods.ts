/**
 * Splitting a date range into the grains the aggregate tables hold (migrations/005_stats.ts):
 * whole years, then whole months, then single days, so that a query reads as few rows as possible.
 * Dates are `YYYY-MM-DD` strings (calendar days, no time zone); ranges are half-open [start, end).
 */

/** A grain of the aggregate tables: day, month, year. */
export type Grain = 'd' | 'm' | 'y';

/** Rows of one grain whose period lies in [start, end); null = unbounded on that side. */
export interface PeriodRange {
  grain: Grain;
  start: string | null;
  end: string | null;
}

/** The day after `day`. */
export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** First day of the month (or year) that contains `day`. */
function floorTo(grain: 'm' | 'y', day: string): string {
  return grain === 'y' ? `${day.slice(0, 4)}-01-01` : `${day.slice(0, 7)}-01`;
}

/** First day of the month (or year) on or after `day`. */
function ceilTo(grain: 'm' | 'y', day: string): string {
  const floor = floorTo(grain, day);
  if (floor === day) return day;
  const d = new Date(`${floor}T00:00:00Z`);
  if (grain === 'y') d.setUTCFullYear(d.getUTCFullYear() + 1);
  else d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Covers [start, end) with ranges of the given grains, coarsest first (`grains` ends with 'd'):
 * each day of the range falls in exactly one returned range.
 */
export function decompose(start: string | null, end: string | null, grains: readonly Grain[]): PeriodRange[] {
  const out: PeriodRange[] = [];
  const cover = (a: string | null, b: string | null, level: number): void => {
    if (a !== null && b !== null && a >= b) return;
    const grain = grains[level]!;
    if (grain === 'd') {
      out.push({ grain, start: a, end: b });
      return;
    }
    const first = a === null ? null : ceilTo(grain, a);
    const last = b === null ? null : floorTo(grain, b);
    if (first !== null && last !== null && first >= last) {
      cover(a, b, level + 1);
      return;
    }
    out.push({ grain, start: first, end: last });
    if (a !== null) cover(a, first, level + 1);
    if (b !== null) cover(last, b, level + 1);
  };
  cover(start, end, 0);
  return out;
}
