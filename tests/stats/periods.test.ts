import { describe, expect, it } from 'vitest';
import { decompose, nextDay, type Grain, type PeriodRange } from '../../src/stats/periods.js';

/** The first day of the unit of `grain` that holds `day`, as the aggregate tables store periods. */
function periodOf(grain: Grain, day: string): string {
  if (grain === 'd') return day;
  if (grain === 'y') return `${day.slice(0, 4)}-01-01`;
  if (grain === 'q') return `${day.slice(0, 5)}${String(Math.floor((Number(day.slice(5, 7)) - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
  if (grain === 'm') return `${day.slice(0, 7)}-01`;
  const date = Number(day.slice(8));
  return `${day.slice(0, 7)}-${date >= 21 ? '21' : date >= 11 ? '11' : '01'}`;
}

/** How many times a day is counted by the ranges: its unit's row is read once per range holding that unit. */
function coverage(ranges: PeriodRange[], day: string): number {
  let n = 0;
  for (const r of ranges) {
    const period = periodOf(r.grain, day);
    if ((r.start === null || period >= r.start) && (r.end === null || period < r.end)) n += r.sign;
  }
  return n;
}

const FIRST = '2019-11-01';
const LAST = '2022-03-01';
const allDays: string[] = [];
for (let d = FIRST; d < LAST; d = nextDay(d)) allDays.push(d);

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
    let state = 7;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = () => allDays[40 + Math.floor(random() * (allDays.length - 80))]!;
    const windows: Array<[string | null, string | null]> = [[null, null], [null, '2021-02-11'], ['2020-12-31', null], ['2020-02-29', '2020-03-01']];
    for (let i = 0; i < 300; i++) {
      const a = pick();
      const b = pick();
      windows.push(a <= b ? [a, b] : [b, a]);
    }
    for (const grains of GRAIN_SETS) {
      for (const [start, end] of windows) {
        const ranges = decompose(start, end, grains);
        expect(ranges.every((r) => grains.includes(r.grain))).toBe(true);
        for (const day of allDays) {
          const inside = (start === null || day >= start) && (end === null || day < end);
          expect(coverage(ranges, day), `${grains.join('')} [${start}, ${end}) ${day}`).toBe(inside ? 1 : 0);
        }
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
