import { slug } from '../shared/slug.js';
import { PROVINCE_MERGERS_2025, PROVINCES_BEFORE_2025, currentProvince } from '../stats/provinces.js';

/** A province or centrally-run city, as `GET /api/v1/provinces` lists it. */
export interface Province {
  /** A stable ASCII slug of the name (`thua-thien-hue`): the official numeric codes were renumbered in 2025. */
  code: string;
  name: string;
  /** One of the 34 provinces since 1 July 2025. */
  current: boolean;
  /** For a province merged in 2025: the name of the one it became part of. */
  mergedInto?: string;
}

const CURRENT = new Set([...PROVINCES_BEFORE_2025.filter((p) => currentProvince(p) === p), ...Object.keys(PROVINCE_MERGERS_2025)]);

/** The 63 provinces before the 2025 mergers and the 34 after (a name in both is listed once), by name. */
export const PROVINCES: readonly Province[] = [...new Set([...PROVINCES_BEFORE_2025, ...CURRENT])]
  .sort((a, b) => a.localeCompare(b, 'vi'))
  .map((name) => {
    const into = currentProvince(name);
    return { code: slug(name), name, current: CURRENT.has(name), ...(into !== name ? { mergedInto: into } : {}) };
  });

const BY_NAME = new Set(PROVINCES.map((p) => p.name));

/**
 * The listed province `name` is, as listed (NFC): statistics group by the exact string, so a
 * decomposed (NFD) "Bình Dương" must be stored as the listed one. Undefined when it is none.
 */
export function listedProvince(name: string): string | undefined {
  const composed = name.normalize('NFC');
  return BY_NAME.has(composed) ? composed : undefined;
}

/**
 * The listed province `name` was probably meant to be ("Binh Duong" → "Bình Dương"): the same letters
 * without regard to diacritics, case and spacing, else the nearest within two typing mistakes.
 */
export function closestProvince(name: string): string | undefined {
  const typed = slug(name);
  let best: { name: string; distance: number } | undefined;
  for (const p of PROVINCES) {
    const distance = p.code === typed ? 0 : editDistance(p.code, typed);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: p.name, distance };
  }
  return best?.name;
}

/** Levenshtein distance (names are short: a row at a time is plenty). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
