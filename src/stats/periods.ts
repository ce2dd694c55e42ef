/**
 * Splitting a date range into the grains the aggregate tables hold
 * (migrations/006_stats_aggregates.ts): years, quarters, months, dekads (the 1st–10th, 11th–20th
 * and 21st–last of a month) and days, so that a query reads as few rows as possible. Dates are `YYYY-MM-DD` strings (calendar days, no time zone);
 * ranges are half-open [start, end).
 *
 * An edge of the range is rounded to the nearest boundary of each grain, inward or outward: a
 * window from 25 March reads April onward plus 25–31 March, one from 5 March reads March onward
 * minus 1–4 March (a range with sign -1). Every edge then costs at most half a unit of each finer
 * grain: with dekads, at most five single days, which the largest cubes count from the certificates.
 */

/** A grain of the aggregate tables: day, dekad, month, quarter, year. */
export type Grain = 'd' | 'x' | 'm' | 'q' | 'y';

/** Rows of one grain whose period lies in [start, end), added (+1) or taken away (-1); null = unbounded. */
export interface PeriodRange {
  grain: Grain;
  start: string | null;
  end: string | null;
  sign: 1 | -1;
}

const DAY_MS = 86_400_000;

const toTime = (day: string) => Date.parse(`${day}T00:00:00Z`);
const toDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/** The day after `day`. */
export function nextDay(day: string): string {
  return toDay(toTime(day) + DAY_MS);
}

/** Days from `a` to `b`. */
function daysBetween(a: string, b: string): number {
  return Math.round((toTime(b) - toTime(a)) / DAY_MS);
}

/** The first day of the `grain` unit (year, quarter, month, dekad) that contains `day`. */
function floorTo(grain: Exclude<Grain, 'd'>, day: string): string {
  if (grain === 'y') return `${day.slice(0, 4)}-01-01`;
  if (grain === 'q') return `${day.slice(0, 5)}${String(Math.floor((Number(day.slice(5, 7)) - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
  if (grain === 'm') return `${day.slice(0, 7)}-01`;
  const date = Number(day.slice(8, 10));
  return `${day.slice(0, 7)}-${date >= 21 ? '21' : date >= 11 ? '11' : '01'}`;
}

/** The first day of the `grain` unit after the one that contains `day`. */
function nextUnit(grain: Exclude<Grain, 'd'>, day: string): string {
  const d = new Date(`${floorTo(grain, day)}T00:00:00Z`);
  if (grain === 'y') d.setUTCFullYear(d.getUTCFullYear() + 1);
  else if (grain === 'q') d.setUTCMonth(d.getUTCMonth() + 3, 1);
  else if (grain === 'm' || d.getUTCDate() === 21) d.setUTCMonth(d.getUTCMonth() + 1, 1);
  else d.setUTCDate(d.getUTCDate() + 10);
  return toDay(d.getTime());
}

/** The `grain` boundary nearest to `day` (the earlier one on a tie). */
function nearest(grain: Exclude<Grain, 'd'>, day: string): string {
  const floor = floorTo(grain, day);
  if (floor === day) return day;
  const ceil = nextUnit(grain, day);
  return daysBetween(floor, day) <= daysBetween(day, ceil) ? floor : ceil;
}

/**
 * Covers [start, end) with signed ranges of `grains` (coarsest first, ending with 'd'): summing the
 * rows of every range times its sign counts each day of [start, end) exactly once and no other day.
 */
export function decompose(start: string | null, end: string | null, grains: readonly Grain[]): PeriodRange[] {
  const out: PeriodRange[] = [];
  const cover = (a: string | null, b: string | null, level: number, sign: 1 | -1): void => {
    if (a !== null && b !== null && a >= b) return;
    const grain = grains[level]!;
    if (grain === 'd') {
      out.push({ grain, start: a, end: b, sign });
      return;
    }
    const first = a === null ? null : nearest(grain, a);
    const last = b === null ? null : nearest(grain, b);
    if (first !== null && last !== null && first >= last) {
      // Less than about one unit: finer grains only.
      cover(a, b, level + 1, sign);
      return;
    }
    out.push({ grain, start: first, end: last, sign });
    if (a !== null && first !== a) {
      if (first! < a) cover(first, a, level + 1, -sign as 1 | -1);
      else cover(a, first, level + 1, sign);
    }
    if (b !== null && last !== b) {
      if (last! > b) cover(b, last, level + 1, -sign as 1 | -1);
      else cover(last, b, level + 1, sign);
    }
  };
  cover(start, end, 0, 1);
  return out;
}
