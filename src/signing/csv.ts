import { BadRequest } from '../errors.js';
import { parseCsvRecords } from '../shared/csv.js';

/** Columns of a signing-account batch CSV (header row); `uid` holds several identifiers separated by `;`. */
export const ACCOUNT_CSV_COLUMNS = ['userId', 'organizationId', 'pin', 'commonName', 'uid', 'keyAlgorithm'] as const;

/** Account objects from a batch CSV, one per row after the header; empty cells are absent. */
export function accountsFromCsv(text: string): Array<Record<string, unknown>> {
  const [header, ...rows] = parseCsvRecords(text);
  const names = (header ?? []).map((h) => h.trim());
  const unknown = names.filter((n) => !(ACCOUNT_CSV_COLUMNS as readonly string[]).includes(n));
  if (!names.length || unknown.length) {
    throw new BadRequest(`CSV: a header row of known columns is required (${ACCOUNT_CSV_COLUMNS.join(', ')})${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  return rows.map((cells) =>
    Object.fromEntries(
      names.flatMap((name, i) => {
        const value = cells[i]?.trim();
        if (!value) return [];
        return [[name, name === 'uid' && value.includes(';') ? value.split(';').map((u) => u.trim()).filter(Boolean) : value]];
      }),
    ),
  );
}
