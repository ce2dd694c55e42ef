import { createHash } from 'node:crypto';
import { readBer } from '../der-reader.js';

/** One signature field's value in a PDF (ISO 32000-1 §12.8.1, signature dictionary). */
export interface PdfSignature {
  readonly byteRange: readonly [number, number, number, number];
  /** The bytes the ByteRange covers: everything but the /Contents hole. */
  readonly signedBytes: Buffer;
  /** The DER of /Contents (the trailing zero padding of the hole removed); undefined when unreadable. */
  readonly contents?: Buffer;
  /** `adbe.pkcs7.detached`, `ETSI.CAdES.detached`, `adbe.pkcs7.sha1`, `ETSI.RFC3161`, … */
  readonly subFilter: string;
  /** /M, the signing time PAdES takes from the dictionary instead of the CMS (ETSI EN 319 142-1 §5.3). */
  readonly signingTime?: Date;
  /** The DSS /VRI key: the upper-case hex SHA-1 of the /Contents bytes, padding included (ETSI EN 319 142-1 §5.4.2.2). */
  readonly vriKey?: string;
  /** Whether the ByteRange covers the file to its end (no later incremental update). */
  readonly coversWholeDocument: boolean;
  /** Why the dictionary is unusable, when it is. */
  readonly problem?: string;
}

/** Whether `bytes` look like a PDF file (header within the first 1024 bytes, as readers accept). */
export function isPdf(bytes: Buffer): boolean {
  return bytes.subarray(0, 1024).includes('%PDF-');
}

/** Where the revision a signature signs ends: the end of its ByteRange. */
export const revisionEnd = (signature: PdfSignature): number => signature.byteRange[2] + signature.byteRange[3];

const BYTE_RANGE = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;

/**
 * Every signature of a PDF, in file order. Signature dictionaries hold byte offsets into the file
 * and so are never compressed into object streams: each is found by its /ByteRange, whose hole is
 * the hex string /Contents. Duplicates (a dictionary re-saved by a later incremental update) are
 * reported once.
 */
export function extractPdfSignatures(pdf: Buffer): PdfSignature[] {
  const text = pdf.toString('latin1');
  const seen = new Set<string>();
  const out: PdfSignature[] = [];
  for (const match of text.matchAll(BYTE_RANGE)) {
    const range = match.slice(1, 5).map(Number) as [number, number, number, number];
    const key = range.join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    const dictionary = enclosingDictionary(text, match.index);
    const subFilter = /\/SubFilter\s*\/([A-Za-z0-9.#_-]+)/.exec(dictionary)?.[1] ?? '';
    const m = /\/M\s*\(([^)]*)\)/.exec(dictionary)?.[1];
    const signingTime = m ? parsePdfDate(m) : undefined;
    const [a, b, c, d] = range;
    const problem =
      a !== 0 || b <= 0 || c <= b || c + d > pdf.length
        ? 'the /ByteRange does not fit the file'
        : pdf[b] !== 0x3c || pdf[c - 1] !== 0x3e
          ? 'the /ByteRange hole is not the /Contents hex string'
          : undefined;
    const base = {
      byteRange: range,
      subFilter,
      ...(signingTime ? { signingTime } : {}),
      coversWholeDocument: c + d === pdf.length || /^\s*$/.test(text.slice(c + d)),
    };
    if (problem) {
      out.push({ ...base, signedBytes: Buffer.alloc(0), problem });
      continue;
    }
    const hex = text.slice(b + 1, c - 1).replace(/\s+/g, '');
    // A missing final digit is 0 (ISO 32000-1 §7.3.4.3); a non-hex character leaves no signature to read.
    const hole = Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex');
    const contents = /^[0-9A-Fa-f]*$/.test(hex) ? derPrefix(hole) : undefined;
    out.push({
      ...base,
      vriKey: createHash('sha1').update(hole).digest('hex').toUpperCase(),
      signedBytes: Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]),
      ...(contents ? { contents } : { problem: '/Contents is not a DER signature' }),
    });
  }
  return out;
}

/**
 * The text of the innermost `<< … >>` dictionary around `index` (the signature dictionary holding
 * the /ByteRange), read from its object's start: strings are skipped whole, so the /Contents hole
 * (~33 KB of hex in kyso's signatures, more in others') neither ends the search early nor hides an
 * /M written after it (issue #11).
 */
function enclosingDictionary(text: string, index: number): string {
  const objectStart = text.lastIndexOf(' obj', index);
  const starts: number[] = [];
  let enclosing: number | undefined;
  for (let i = objectStart < 0 ? Math.max(0, index - 65_536) : objectStart; i < text.length; i++) {
    if (enclosing === undefined && i >= index) enclosing = starts[starts.length - 1];
    const c = text[i];
    if (c === '<' && text[i + 1] === '<') {
      starts.push(i);
      i++;
    } else if (c === '>' && text[i + 1] === '>') {
      const start = starts.pop();
      i++;
      if (start !== undefined && start === enclosing) return text.slice(start, i + 1);
      if (starts.length === 0 && enclosing !== undefined) break;
    } else if (c === '<') {
      const end = text.indexOf('>', i);
      if (end < 0) break;
      i = end;
    } else if (c === '(') {
      i = literalStringEnd(text, i);
    } else if (c === '%') {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end;
    } else if (text.startsWith('endobj', i)) break;
  }
  // A malformed dictionary: the neighbourhood of the ByteRange, as before.
  return text.slice(Math.max(0, index - 20_000), index + 20_000);
}

/** The index of the `)` closing the literal string that opens at `start` (balanced parentheses, backslash escapes). */
function literalStringEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return text.length;
}

/** The DER value at the start of a /Contents hole, without the zero padding that fills the rest. */
function derPrefix(bytes: Buffer): Buffer | undefined {
  try {
    const tlv = readBer(bytes);
    return bytes.subarray(0, tlv.end);
  } catch {
    return undefined;
  }
}

/** A PDF date string `D:YYYYMMDDHHmmSSOHH'mm'` (ISO 32000-1 §7.9.4); undefined when malformed. */
export function parsePdfDate(value: string): Date | undefined {
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(?:(\d{2})'?(\d{2})?'?)?)?/.exec(value.trim());
  if (!m) return undefined;
  const utc = Date.UTC(Number(m[1]), Number(m[2] ?? 1) - 1, Number(m[3] ?? 1), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  const sign = m[7] === '-' ? -1 : m[7] === '+' ? 1 : 0;
  const offset = sign * (Number(m[8] ?? 0) * 60 + Number(m[9] ?? 0)) * 60_000;
  const date = new Date(utc - offset);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
