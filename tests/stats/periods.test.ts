import { describe, expect, it } from 'vitest';
import { decompose, decomposeByRunningTotals, nextDay, rowsPerCell, type Grain, type PeriodPart } from '../../src/db/stats/periods.js';

/** The first day of the unit of `grain` that holds `day`, as the aggregate tables store periods. */
function periodOf(grain: Grain, day: string): string {
  if (grain === 'd') return day;
  if (grain === 'y') return `${day.slice(0, 4)}-01-01`;
  if (grain === 'q') return `${day.slice(0, 5)}${String(Math.floor((Number(day.slice(5, 7)) - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
  if (grain === 'm') return `${day.slice(0, 7)}-01`;
  const date = Number(day.slice(8));
  return `${day.slice(0, 7)}-${date >= 21 ? '21' : date >= 11 ? '11' : '01'}`;
}

const FIRST = '2019-11-01';
const LAST = '2022-03-01';
const allDays: string[] = [];
for (let d = FIRST; d < LAST; d = nextDay(d)) allDays.push(d);

/** The period of every day of allDays at each grain, computed once (the checks below read them about a million times). */
const PERIODS = Object.fromEntries((['d', 'x', 'm', 'q', 'y'] as const).map((g) => [g, allDays.map((day) => periodOf(g, day))])) as Record<
  Grain,
  string[]
>;

/**
 * How many times the day allDays[i] is counted by the parts: its unit's row is read once per range
 * holding that unit; a running total Y counts the days before its 1 January (every day, at null),
 * M the days of its year before its month.
 */
function coverage(parts: PeriodPart[], i: number): number {
  const day = allDays[i]!;
  let n = 0;
  for (const r of parts) {
    if ('at' in r) {
      const counted = r.at === null || (day < r.at && (r.grain === 'Y' || day >= periodOf('y', r.at)));
      if (counted) n += r.sign;
      continue;
    }
    const period = PERIODS[r.grain][i]!;
    if ((r.start === null || period >= r.start) && (r.end === null || period < r.end)) n += r.sign;
  }
  return n;
}

/** The days of allDays that `parts` count other than once inside [start, end) and never outside (none, if right). */
function miscounted(parts: PeriodPart[], start: string | null, end: string | null): string[] {
  return allDays.filter((day, i) => coverage(parts, i) !== ((start === null || day >= start) && (end === null || day < end) ? 1 : 0));
}

/** Windows over allDays: unbounded, across a leap day, and 300 random ones. */
function someWindows(): Array<[string | null, string | null]> {
  let state = 7;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = () => allDays[40 + Math.floor(random() * (allDays.length - 80))]!;
  const windows: Array<[string | null, string | null]> = [[null, null], [null, '2021-02-11'], ['2020-12-31', null], ['2020-02-29', '2020-03-01']];
  for (let i = 0; i < 300; i++) {
    const a = pick();
    const b = pick();
    windows.push(a <= b ? [a, b] : [b, a]);
  }
  return windows;
}

const GRAIN_SETS: Grain[][] = [
  ['y', 'q', 'm', 'x', 'd'],
  ['q', 'm', 'x', 'd'],
  ['y', 'm', 'x', 'd'],
  ['y', 'm', 'd'],
  ['m', 'x', 'd'],
  ['m', 'd'],
];

describe('decompose', () => {
  it('counts every day of a window once and no other day, for every grain set', () => {
    for (const grains of GRAIN_SETS) {
      for (const [start, end] of someWindows()) {
        const ranges = decompose(start, end, grains);
        expect(ranges.every((r) => grains.includes(r.grain))).toBe(true);
        expect(miscounted(ranges, start, end), `${grains.join('')} [${start}, ${end})`).toEqual([]);
      }
    }
  });

  it('rounds an edge to the nearest boundary: at most five single days per edge with dekads', () => {
    // 25 March onward: April onward plus 25–31 March; with years, 2024 onward minus January to
    // March plus 25–31 March. 5 to 28 March: March minus 1–4 and 29–31 March.
    expect(decompose('2024-03-25', null, ['m', 'd'])).toEqual([
      { grain: 'm', start: '2024-04-01', end: null, sign: 1 },
      { grain: 'd', start: '2024-03-25', end: '2024-04-01', sign: 1 },
    ]);
    expect(decompose('2024-03-25', null, ['y', 'm', 'd'])).toEqual([
      { grain: 'y', start: '2024-01-01', end: null, sign: 1 },
      { grain: 'm', start: '2024-01-01', end: '2024-04-01', sign: -1 },
      { grain: 'd', start: '2024-03-25', end: '2024-04-01', sign: 1 },
    ]);
    expect(decompose('2024-03-05', '2024-03-29', ['m', 'x', 'd'])).toEqual([
      { grain: 'm', start: '2024-03-01', end: '2024-04-01', sign: 1 },
      { grain: 'd', start: '2024-03-01', end: '2024-03-05', sign: -1 },
      { grain: 'd', start: '2024-03-29', end: '2024-04-01', sign: -1 },
    ]);
    for (let day = '2023-12-01'; day < '2024-03-01'; day = nextDay(day)) {
      const days = decompose(null, day, ['y', 'm', 'x', 'd'])
        .filter((r) => r.grain === 'd')
        .reduce((n, r) => n + (Date.parse(r.end!) - Date.parse(r.start!)) / 86_400_000, 0);
      expect(days, day).toBeLessThanOrEqual(5);
    }
  });
});

describe('decomposeByRunningTotals', () => {
  it('counts every day of a window once and no other day, with dekads or days at the edges', () => {
    for (const grains of [['x', 'd'], ['d']] as Grain[][]) {
      for (const [start, end] of someWindows()) {
        const parts = decomposeByRunningTotals(start, end, grains);
        expect(miscounted(parts, start, end), `${grains.join('')} [${start}, ${end})`).toEqual([]);
      }
    }
  });

  it('reads two totals per edge: a status at any day costs a few rows per cell, not one per year', () => {
    // 13 March 2031: the events before 1 March 2031 (Y 2031 + M March) and 1–12 March by dekad and days.
    expect(decomposeByRunningTotals(null, '2031-03-13', ['x', 'd'])).toEqual([
      { grain: 'Y', at: '2031-01-01', sign: 1 },
      { grain: 'M', at: '2031-03-01', sign: 1 },
      { grain: 'x', start: '2031-03-01', end: '2031-03-11', sign: 1 },
      { grain: 'd', start: '2031-03-11', end: '2031-03-13', sign: 1 },
    ]);
    expect(rowsPerCell(decomposeByRunningTotals(null, '2031-03-13', ['x', 'd']))).toBe(5);
    expect(rowsPerCell(decompose(null, '2031-03-13', ['y', 'm', 'x', 'd']))).toBe(Infinity);
    // A quarter is one row of quarters, two running totals (the Y rows of 2024 cancel out).
    expect(rowsPerCell(decompose('2024-04-01', '2024-07-01', ['y', 'q', 'm', 'x', 'd']))).toBe(1);
    expect(decomposeByRunningTotals('2024-04-01', '2024-07-01', ['x', 'd'])).toEqual([
      { grain: 'M', at: '2024-07-01', sign: 1 },
      { grain: 'M', at: '2024-04-01', sign: -1 },
    ]);
  });
});
