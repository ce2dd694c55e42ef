import { BadRequest } from '../errors.js';

/**
 * CSV for spreadsheets (RFC 4180: CRLF line ends, quotes doubled), UTF-8 with a byte-order mark
 * so that Excel shows Vietnamese names with their diacritics instead of mojibake.
 */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, CsvValue>>): string {
  const lines = [columns.map(cell).join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** What a CSV cell can show. */
export type CsvValue = string | number | boolean | null | undefined;

/** One CSV cell: quoted when needed, a leading = + - @ defused (CSV injection). */
export function cell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = String(value);
  // A text cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

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
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
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
