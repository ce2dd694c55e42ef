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

/**
 * A running total read at one day (src/db/stats/maintenance.ts): `Y` at a 1 January (the events
 * before it; null = after every event), or `M` at the 1st of a month (the events of its year
 * before it), added or taken away.
 */
export interface RunningTotal {
  grain: 'Y' | 'M';
  at: string | null;
  sign: 1 | -1;
}

/** What a query reads of one cube: period ranges, or running totals and the ranges of the days beside them. */
export type PeriodPart = PeriodRange | RunningTotal;

/**
 * The events before `day` (null: every event), times `sign`: the running totals at the month
 * boundary nearest to `day`, and the days between that boundary and `day` in `edgeGrains` (finer
 * than months, ending with 'd').
 */
function before(day: string | null, edgeGrains: readonly Grain[], sign: 1 | -1): PeriodPart[] {
  if (day === null) return [{ grain: 'Y', at: null, sign }];
  const boundary = nearest('m', day);
  const year = floorTo('y', boundary);
  const parts: PeriodPart[] = [{ grain: 'Y', at: year, sign }];
  if (boundary !== year) parts.push({ grain: 'M', at: boundary, sign });
  const between = boundary < day ? decompose(boundary, day, edgeGrains) : decompose(day, boundary, edgeGrains);
  const towards = boundary < day ? sign : (-sign as 1 | -1);
  return [...parts, ...between.map((r) => ({ ...r, sign: (r.sign * towards) as 1 | -1 }))];
}

/**
 * Covers [start, end) with running totals (the events before `end` less those before `start`) and
 * ranges of `edgeGrains` for the days between each edge and its nearest month boundary.
 */
export function decomposeByRunningTotals(start: string | null, end: string | null, edgeGrains: readonly Grain[]): PeriodPart[] {
  const parts = [...before(end, edgeGrains, 1), ...(start === null ? [] : before(start, edgeGrains, -1))];
  // Both edges in one year: its Y rows, added and taken away, cancel out.
  const [endYear, startYear] = parts.filter((p): p is RunningTotal => 'at' in p && p.grain === 'Y');
  return startYear && endYear!.at === startYear.at ? parts.filter((p) => p !== startYear && p !== endYear) : parts;
}

/**
 * How many rows per cell `parts` read at most: one per running total, one per unit of each range
 * (Infinity for an unbounded range of periods).
 */
export function rowsPerCell(parts: readonly PeriodPart[]): number {
  return parts.reduce((n, part) => {
    if ('at' in part) return n + 1;
    if (part.start === null || part.end === null) return Infinity;
    let units = 0;
    for (let day = part.start; day < part.end; day = part.grain === 'd' ? nextDay(day) : nextUnit(part.grain, day)) units++;
    return n + units;
  }, 0);
}
