import { BadRequest } from '../errors.js';
import { parseCsvRecords } from '../shared/csv.js';

/** Columns a batch CSV may carry (header row); `uid` holds several identifiers separated by `;`. */
export const CSV_COLUMNS = [
  'kind', 'holder', 'medium', 'organizationId', 'commonName', 'uid', 'title', 'organizationalUnit', 'locality', 'email',
  'csr', 'msisdn', 'carrier', 'profile', 'certificateSerial', 'reason',
] as const;
const SUBJECT_COLUMNS = new Set(['commonName', 'uid', 'title', 'organizationalUnit', 'locality', 'email']);

/**
 * Request objects from a batch CSV: a header row naming columns of CSV_COLUMNS, then one request per
 * row. `csr` is PEM with `\n` escapes or base64 DER; `kind` defaults to `new`; empty cells are absent.
 */
export function requestsFromCsv(text: string): Array<Record<string, unknown>> {
  const [header, ...rows] = parseCsvRecords(text);
  if (!header) throw new BadRequest('CSV: empty; a header row is required');
  const names = header.map((h) => h.trim());
  const unknown = names.filter((n) => !(CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length) throw new BadRequest(`CSV: unknown columns ${unknown.join(', ')}; known: ${CSV_COLUMNS.join(', ')}`);
  return rows.map((cells) => {
    const request: Record<string, unknown> = { kind: 'new' };
    const subject: Record<string, unknown> = {};
    names.forEach((name, i) => {
      const value = cells[i]?.trim();
      if (!value) return;
      if (name === 'uid') subject.uid = value.includes(';') ? value.split(';').map((u) => u.trim()).filter(Boolean) : value;
      else if (SUBJECT_COLUMNS.has(name)) subject[name] = value;
      else if (name === 'csr') request.csr = value.replace(/\\n/g, '\n');
      else request[name] = value;
    });
    if (Object.keys(subject).length) request.subject = subject;
    return request;
  });
}
