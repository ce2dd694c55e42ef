import { DerError, decodeOid, readTime as readDerTime } from '../der-reader.js';

/**
 * The BER side of the verification path's reader. `src/pki/der-reader.ts` is strict DER (right for
 * CSRs and certificates); a CMS may arrive as BER — `openssl cms -stream`, Windows and Java tools
 * write indefinite lengths and constructed OCTET STRINGs — so elements here carry their buffer and
 * accept both, while OIDs, times and names are decoded by the strict reader's functions.
 */

export { DerError };

/** One tag-length-value element, as offsets into the buffer it was read from. */
export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number ≤ 30). */
  readonly tag: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet. */
  readonly start: number;
  readonly contentStart: number;
  /** End of the contents (before the end-of-contents octets of an indefinite length). */
  readonly contentEnd: number;
  /** End of the whole element. */
  readonly end: number;
  readonly buf: Buffer;
}

const MAX_DEPTH = 64;

/** Reads the element starting at `offset`, not going past `limit`. */
export function readTlv(buf: Buffer, offset = 0, limit = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used in CMS or X.509');
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = buf[pos++]!;
  if (first === 0x80) {
    if (!constructed) throw new DerError('indefinite length on a primitive element');
    const contentStart = pos;
    while (true) {
      if (pos + 2 > limit) throw new DerError('missing end-of-contents');
      if (buf[pos] === 0 && buf[pos + 1] === 0) break;
      pos = readTlv(buf, pos, limit, depth + 1).end;
    }
    return { tag, constructed, start: offset, contentStart, contentEnd: pos, end: pos + 2, buf };
  }
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n > 4 || pos + n > limit) throw new DerError('bad length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
  }
  const end = pos + length;
  if (end > limit) throw new DerError('element runs past its container');
  return { tag, constructed, start: offset, contentStart: pos, contentEnd: end, end, buf };
}

/** The child elements of a constructed element. */
export function children(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) throw new DerError('expected a constructed element');
  const out: Tlv[] = [];
  for (let pos = tlv.contentStart; pos < tlv.contentEnd; ) {
    const child = readTlv(tlv.buf, pos, tlv.contentEnd);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The children of `tlv` after checking its tag. */
export function childrenOf(tlv: Tlv, tag: number, what: string): Tlv[] {
  expectTag(tlv, tag, what);
  return children(tlv);
}

/** Throws unless `tlv` has the given identifier octet. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected ${what}`);
  return tlv;
}

/** The whole encoding of the element (header included). */
export const raw = (tlv: Tlv): Buffer => tlv.buf.subarray(tlv.start, tlv.end);

/** The content octets of a primitive element. */
export const content = (tlv: Tlv): Buffer => tlv.buf.subarray(tlv.contentStart, tlv.contentEnd);

/** The value of an OCTET STRING (or [n] IMPLICIT one), joining the segments of a BER constructed string. */
export function octets(tlv: Tlv): Buffer {
  if (!tlv.constructed) return content(tlv);
  return Buffer.concat(children(tlv).map(octets));
}

/** The value of an OCTET STRING element, primitive (0x04) or BER constructed (0x24, as streamed CMS writes it). */
export function octetString(tlv: Tlv | undefined, what: string): Buffer {
  if (!tlv || (tlv.tag !== 0x04 && tlv.tag !== 0x24)) throw new DerError(`expected ${what}`);
  return octets(tlv);
}

/** Dotted notation of an OBJECT IDENTIFIER element. */
export const readOid = (tlv: Tlv | undefined): string => decodeOid(content(expectTag(tlv, 0x06, 'an OBJECT IDENTIFIER')));

/** The magnitude bytes of a non-negative INTEGER (the sign-padding 0x00 removed). */
export function integerBytes(tlv: Tlv | undefined): Buffer {
  const bytes = content(expectTag(tlv, 0x02, 'an INTEGER'));
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

/** A small INTEGER as a number. */
export function smallInteger(tlv: Tlv | undefined): number {
  const bytes = integerBytes(tlv);
  if (bytes.length > 4) throw new DerError('INTEGER too large');
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

/** UTCTime or GeneralizedTime, in the Zulu-with-seconds form RFC 5280 §4.1.2.5 and RFC 5652 §11.3 require. */
export function readTime(tlv: Tlv | undefined): Date {
  if (!tlv) throw new DerError('expected a Time');
  return readDerTime(tlv.buf, tlv);
}
