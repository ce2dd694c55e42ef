/**
 * kyso's one ASN.1 reader, allocation-light, for everything it parses without pkijs: CSRs,
 * certificates, OCSP requests, and on the verification path CMS, CRLs and OCSP responses. pkijs
 * stays the reference; this exists because parsing through asn1js costs more than the signature
 * check it precedes (stack-notes.md "Where the time goes").
 *
 * Elements are read under DER by default (definite, minimal lengths: X.690 §10.1), as CSRs and
 * certificates sent to kyso must be. Under BER — for documents to verify: `openssl cms -stream`,
 * Windows and Java tools write indefinite lengths and constructed OCTET STRINGs — those are accepted
 * too; an element's children are read under the rules it was read with.
 */

/** Thrown for bytes that are not the structure expected. */
export class DerError extends Error {}

/** The encoding rules an element is read under. */
export type EncodingRules = 'der' | 'ber';

/** One tag-length-value element, as offsets into the buffer it was read from. */
export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number ≤ 30). */
  readonly tag: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** End of the contents (before the end-of-contents octets of an indefinite length). */
  readonly contentEnd: number;
  /** End of the whole element. */
  readonly end: number;
  readonly buf: Buffer;
  readonly rules: EncodingRules;
}

const MAX_DEPTH = 64;

/** The element at `offset`, not going past `limit`, read under `rules`. */
export function readTlv(input: Uint8Array, offset = 0, limit = input.length, rules: EncodingRules = 'der'): Tlv {
  return readAt(Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength), offset, limit, rules, 0);
}

function readAt(buf: Buffer, offset: number, limit: number, rules: EncodingRules, depth: number): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  if (offset + 2 > limit) throw new DerError('truncated DER');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used in CMS or X.509');
  const constructed = (tag & 0x20) !== 0;
  const first = buf[offset + 1]!;
  let length = first;
  let contentStart = offset + 2;
  if (first === 0x80) {
    if (rules === 'der') throw new DerError('indefinite length in DER');
    if (!constructed) throw new DerError('indefinite length on a primitive element');
    let pos = contentStart;
    while (true) {
      if (pos + 2 > limit) throw new DerError('missing end-of-contents');
      if (buf[pos] === 0 && buf[pos + 1] === 0) break;
      pos = readAt(buf, pos, limit, rules, depth + 1).end;
    }
    return { tag, constructed, start: offset, contentStart, contentEnd: pos, end: pos + 2, buf, rules };
  }
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new DerError('oversized DER length');
    if (contentStart + n > limit) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[contentStart + i]!;
    if (rules === 'der' && (length < 0x80 || buf[contentStart] === 0)) throw new DerError('non-minimal DER length');
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('DER length runs past the end of its container');
  return { tag, constructed, start: offset, contentStart, contentEnd: end, end, buf, rules };
}

/** The element at the start of `buf` read under BER (bytes after it are the caller's to judge). */
export const readBer = (buf: Uint8Array): Tlv => readTlv(buf, 0, buf.length, 'ber');

/** The single element that makes up all of `buf` (trailing bytes are an error), optionally of tag `expectedTag`. */
export function readWhole(buf: Uint8Array, expectedTag?: number, rules: EncodingRules = 'der'): Tlv {
  const tlv = readTlv(buf, 0, buf.length, rules);
  if (tlv.end !== buf.length) throw new DerError('trailing bytes after DER value');
  if (expectedTag !== undefined) expectTag(tlv, expectedTag);
  return tlv;
}

/** The elements inside a constructed element, in order. */
export function children(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) throw new DerError('expected a constructed element');
  const out: Tlv[] = [];
  for (let offset = tlv.contentStart; offset < tlv.contentEnd; ) {
    const child = readAt(tlv.buf, offset, tlv.contentEnd, tlv.rules, 0);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** The children of `tlv` after checking its tag. */
export const childrenOf = (tlv: Tlv | undefined, tag: number, what?: string): Tlv[] => children(expectTag(tlv, tag, what));

/** Throws unless `tlv` is present with identifier octet `tag`; `what` names it in the message. */
export function expectTag(tlv: Tlv | undefined, tag: number, what?: string): Tlv {
  if (tlv?.tag === tag) return tlv;
  if (what) throw new DerError(`expected ${what}`);
  if (!tlv) throw new DerError(`missing element with tag 0x${tag.toString(16)}`);
  throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
}

/** The whole encoding of the element, header included (a view, not a copy). */
export const raw = (tlv: Tlv): Buffer => tlv.buf.subarray(tlv.start, tlv.end);

/** The content octets of an element (a view, not a copy). */
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

/**
 * Dotted notation of an OBJECT IDENTIFIER's content bytes. Arcs are summed as numbers, and as
 * bigints only past 2^46 (UUID arcs, `2.25.<uuid>`): OIDs are read for every extension and algorithm.
 */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  if (bytes[bytes.length - 1]! & 0x80) throw new DerError('truncated OBJECT IDENTIFIER');
  let dotted = '';
  let value = 0;
  let big: bigint | undefined;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (big !== undefined) big = (big << 7n) | BigInt(byte & 0x7f);
    else if (value >= 2 ** 46) big = (BigInt(value) << 7n) | BigInt(byte & 0x7f);
    else value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (dotted === '') {
      // the first subidentifier packs two arcs: 40 × first + second, the first being at most 2 (X.690 §8.19.4)
      if (big === undefined) {
        const head = value < 80 ? Math.floor(value / 40) : 2;
        dotted = `${head}.${value - head * 40}`;
      } else dotted = `2.${big - 80n}`;
    } else dotted += `.${big ?? value}`;
    value = 0;
    big = undefined;
  }
  return dotted;
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

/** An AlgorithmIdentifier read from the wire: its OID and the parameters element, if any. */
export interface AlgorithmIdentifier {
  readonly oid: string;
  readonly parameters?: Tlv;
}

/** Reads an AlgorithmIdentifier SEQUENCE (a NULL parameter counts as none). */
export function readAlgorithm(tlv: Tlv | undefined): AlgorithmIdentifier {
  if (!tlv || tlv.tag !== 0x30) throw new DerError('expected an AlgorithmIdentifier');
  const [id, parameters] = children(tlv);
  return { oid: readOid(id), parameters: parameters && parameters.tag !== 0x05 ? parameters : undefined };
}

/** UTCTime or GeneralizedTime, in the Zulu-with-seconds form RFC 5280 §4.1.2.5 and RFC 5652 §11.3 require. */
export function readTime(tlv: Tlv | undefined): Date {
  if (!tlv) throw new DerError('expected a Time');
  const s = content(tlv).toString('latin1');
  const m =
    tlv.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : tlv.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s)
        : null;
  if (!m) throw new DerError(`not an X.509 time: ${JSON.stringify(s)}`);
  let year = Number(m[1]);
  if (tlv.tag === 0x17) year += year < 50 ? 2000 : 1900;
  const date = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  if (Number.isNaN(date.getTime())) throw new DerError(`invalid date ${s}`);
  return date;
}

/** The text of a directory string element (UTF8, Printable, IA5, Teletex as Latin-1, BMP, Universal). */
export function readString(tlv: Tlv): string {
  const bytes = content(tlv);
  switch (tlv.tag) {
    case 0x0c:
      return bytes.toString('utf8');
    case 0x13:
    case 0x16:
    case 0x14:
    case 0x1a:
      return bytes.toString('latin1');
    case 0x1e: {
      if (bytes.length % 2) throw new DerError('odd-length BMPString');
      const swapped = Buffer.from(bytes);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 0x1c: {
      if (bytes.length % 4) throw new DerError('bad UniversalString length');
      let s = '';
      for (let i = 0; i < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    default:
      throw new DerError(`not a string type: tag 0x${tlv.tag.toString(16)}`);
  }
}

/** The (type, value) attributes of a Name, in encoded order (multi-valued RDNs flattened). */
export function readNameAttributes(name: Tlv): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  for (const rdn of childrenOf(name, 0x30)) {
    for (const atv of childrenOf(rdn, 0x31)) {
      const [type, value] = childrenOf(atv, 0x30);
      out.push({ type: readOid(type), value: value ? readAttributeValue(value) : '' });
    }
  }
  return out;
}

/** An attribute value as text; a value that is not a string shows as `#<hex DER>` (RFC 4514 §2.4). */
function readAttributeValue(tlv: Tlv): string {
  try {
    return readString(tlv);
  } catch {
    return `#${raw(tlv).toString('hex')}`;
  }
}
