/**
 * A small BER/DER reader for the verification path. Verification runs thousands of times a second
 * (issue 4: ≥ 2,000 CMS verifications/s) and asn1js parsing dominates pkijs's cost (stack-notes.md),
 * so the verifier walks the bytes itself and keeps exact slices of what was signed. BER's
 * indefinite lengths and constructed strings are accepted because some signing tools stream CMS.
 */

/** Thrown on bytes that are not well-formed BER. */
export class DerError extends Error {}

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
export function readOid(tlv: Tlv | undefined): string {
  const t = expectTag(tlv, 0x06, 'an OBJECT IDENTIFIER');
  const bytes = content(t);
  if (bytes.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

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

/** UTCTime (tag 0x17) or GeneralizedTime (0x18) in the forms X.509 and CMS use. */
export function readTime(tlv: Tlv | undefined): Date {
  if (!tlv || (tlv.tag !== 0x17 && tlv.tag !== 0x18)) throw new DerError('expected a Time');
  const text = content(tlv).toString('latin1');
  const m =
    tlv.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{4})?$/.exec(text);
  if (!m) throw new DerError(`bad time ${text}`);
  let year = Number(m[1]);
  // RFC 5280 §4.1.2.5.1: two-digit years 50–99 are 19xx
  if (tlv.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  const fraction = tlv.tag === 0x18 && m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const zone = tlv.tag === 0x17 ? m[7]! : (m[8] ?? 'Z');
  const ms =
    Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)) + fraction;
  const offset = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3))) * 60_000;
  return new Date(ms - offset);
}
