/**
 * A strict, allocation-light DER reader for the hot paths that parse what clients send (CSRs,
 * certificates to import). pkijs stays the general parser; this one exists because parsing through
 * asn1js costs more than the signature check it precedes (stack-notes.md "Where the time goes").
 */

/** Thrown for bytes that are not the DER structure expected. */
export class DerError extends Error {}

/** One TLV inside a buffer: its tag byte and where its header and contents lie. */
export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the contents. */
  readonly end: number;
}

/** The TLV at `offset`; only definite lengths in minimal form, inside `limit` (X.690 §10.1). */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated DER');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  const first = buf[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized DER length');
    if (offset + 2 + n > limit) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
    if (length < 0x80 || buf[offset + 2] === 0) throw new DerError('non-minimal DER length');
    contentStart = offset + 2 + n;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('DER length runs past the end of its container');
  return { tag, start: offset, contentStart, end };
}

/** The single TLV that makes up all of `buf` (trailing bytes are an error). */
export function readWhole(buf: Uint8Array, expectedTag?: number): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.end !== buf.length) throw new DerError('trailing bytes after DER value');
  if (expectedTag !== undefined) expectTag(tlv, expectedTag);
  return tlv;
}

/** The elements inside a constructed TLV, in order. */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readTlv(buf, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** Throws unless `tlv` has tag `tag`. */
export function expectTag(tlv: Tlv | undefined, tag: number): Tlv {
  if (!tlv) throw new DerError(`missing element with tag 0x${tag.toString(16)}`);
  if (tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The content bytes of a TLV (a view, not a copy). */
export const contentOf = (buf: Uint8Array, tlv: Tlv): Buffer =>
  Buffer.from(buf.buffer, buf.byteOffset + tlv.contentStart, tlv.end - tlv.contentStart);

/** The whole encoding of a TLV, header included (a view, not a copy). */
export const encodingOf = (buf: Uint8Array, tlv: Tlv): Buffer =>
  Buffer.from(buf.buffer, buf.byteOffset + tlv.start, tlv.end - tlv.start);

/** Dotted notation of an OBJECT IDENTIFIER's content bytes. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: string[] = [];
  let value = 0n;
  let first = true;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (byte & 0x80) continue;
    if (first) {
      const head = value < 80n ? value / 40n : 2n;
      arcs.push(String(head), String(value - head * 40n));
      first = false;
    } else arcs.push(String(value));
    value = 0n;
  }
  if (content[content.length - 1]! & 0x80) throw new DerError('truncated OBJECT IDENTIFIER');
  return arcs.join('.');
}

/** The OID of an OBJECT IDENTIFIER TLV. */
export const readOid = (buf: Uint8Array, tlv: Tlv): string => decodeOid(contentOf(buf, expectTag(tlv, 0x06)));

/** The value of a UTCTime or GeneralizedTime TLV (RFC 5280 §4.1.2.5: Zulu, seconds). */
export function readTime(buf: Uint8Array, tlv: Tlv): Date {
  const s = contentOf(buf, tlv).toString('latin1');
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

/** The text of a directory string TLV (UTF8, Printable, IA5, Teletex as Latin-1, BMP, Universal). */
export function readString(buf: Uint8Array, tlv: Tlv): string {
  const bytes = contentOf(buf, tlv);
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

/** The (type, value) attributes of a DER Name, in encoded order (multi-valued RDNs flattened). */
export function readNameAttributes(buf: Uint8Array, name: Tlv): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  for (const rdn of childrenOf(buf, expectTag(name, 0x30))) {
    for (const atv of childrenOf(buf, expectTag(rdn, 0x31))) {
      const [type, value] = childrenOf(buf, expectTag(atv, 0x30));
      out.push({ type: readOid(buf, type!), value: value ? readAttributeValue(buf, value) : '' });
    }
  }
  return out;
}

/** An attribute value as text; a value that is not a string shows as `#<hex DER>` (RFC 4514 §2.4). */
function readAttributeValue(buf: Uint8Array, tlv: Tlv): string {
  try {
    return readString(buf, tlv);
  } catch {
    return `#${encodingOf(buf, tlv).toString('hex')}`;
  }
}
