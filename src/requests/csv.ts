import { BadRequest } from '../errors.js';

/** Columns a batch CSV may carry (header row); `uid` holds several identifiers separated by `;`. */
export const CSV_COLUMNS = [
  'kind', 'holder', 'medium', 'organizationId', 'commonName', 'uid', 'title', 'organizationalUnit', 'locality', 'email',
  'csr', 'msisdn', 'carrier', 'profile', 'certificateSerial', 'reason',
] as const;
const SUBJECT_COLUMNS = new Set(['commonName', 'uid', 'title', 'organizationalUnit', 'locality', 'email']);

/** Records of an RFC 4180 CSV text (quoted fields may hold commas, quotes as "", and newlines). */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // Excel writes a BOM
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (record.some((f) => f !== '')) records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new BadRequest('CSV: unterminated quoted field');
  record.push(field);
  if (record.some((f) => f !== '')) records.push(record);
  return records;
}

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
