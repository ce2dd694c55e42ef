/** Source of the current time, injected so that domain code can be tested with fixed dates. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still at `at` until moved; for tests. */
export function fixedClock(at: Date): Clock & { set(at: Date): void; advance(ms: number): void } {
  let current = new Date(at);
  return {
    now: () => new Date(current),
    set: (next) => {
      current = new Date(next);
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
}

/**
 * The same UTC instant `years` calendar years after `date` (29 February becomes 1 March in a common
 * year). CA, TSA and end-entity lifetimes are counted this way, not as N × 365.25 days, so notAfter
 * keeps notBefore's time of day (issue #13 item 15).
 */
export function addYears(date: Date, years: number): Date {
  const end = new Date(date);
  end.setUTCFullYear(end.getUTCFullYear() + years);
  return end;
}
