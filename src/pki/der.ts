/**
 * A minimal DER encoder for the structures kyso emits. pkijs stays the parser and the reference
 * encoder; these functions exist because encoding through asn1js costs ~70% of issuance time
 * (stack-notes.md "Where the time goes"), and tests compare their output with pkijs byte for byte.
 */

/** DER length octets for a content of `length` bytes (X.690 §8.1.3, definite form). */
export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with the given tag byte over the concatenated contents. */
export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = contents.length === 1 ? contents[0]! : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/** SEQUENCE of the given encoded elements. */
export const sequence = (...elements: Uint8Array[]): Buffer => tlv(0x30, ...elements);

/** SET of the given encoded elements, sorted by their encodings as DER requires (X.690 §11.6). */
export function setOf(...elements: Uint8Array[]): Buffer {
  const sorted = [...elements].sort((a, b) => Buffer.compare(a, b));
  return tlv(0x31, ...sorted);
}

/** OBJECT IDENTIFIER from dotted notation. */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const bytes: number[] = [];
  const pushArc = (value: bigint) => {
    const chunk: number[] = [Number(value & 0x7fn)];
    for (let v = value >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...chunk);
  };
  pushArc(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) pushArc(arc);
  const encoded = tlv(0x06, Buffer.from(bytes));
  oidCache.set(dotted, encoded);
  return encoded;
}
const oidCache = new Map<string, Buffer>();

/** INTEGER from unsigned big-endian magnitude bytes (a 0x00 is prepended when the top bit is set). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return (trimmed[0] ?? 0) & 0x80
    ? tlv(0x02, Buffer.from([0]), trimmed)
    : tlv(0x02, trimmed.length ? trimmed : Buffer.from([0]));
}

/** INTEGER from a non-negative safe integer or bigint. */
export function integer(value: number | bigint): Buffer {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return unsignedInteger(Buffer.from(hex, 'hex'));
}

export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printableString = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);
export const boolean = (value: boolean): Buffer => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);
export const NULL = Buffer.from([0x05, 0x00]);

/** BIT STRING with `unusedBits` trailing bits unused. */
export const bitString = (bytes: Uint8Array, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), bytes);

/** [n] EXPLICIT wrapper (constructed context-specific tag). */
export const explicit = (n: number, ...contents: Uint8Array[]): Buffer => tlv(0xa0 | n, ...contents);

/** [n] IMPLICIT primitive context-specific tag over raw content bytes. */
export const implicitPrimitive = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content);

/** [n] IMPLICIT constructed context-specific tag over encoded elements. */
export const implicitConstructed = (n: number, ...contents: Uint8Array[]): Buffer => tlv(0xa0 | n, ...contents);

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** GeneralizedTime `YYYYMMDDHHMMSSZ` (whole seconds, UTC). */
export function generalizedTime(date: Date): Buffer {
  const s = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  return tlv(0x18, Buffer.from(s, 'latin1'));
}

/** UTCTime `YYMMDDHHMMSSZ` (years 1950–2049 only). */
export function utcTime(date: Date): Buffer {
  const s = `${pad(date.getUTCFullYear() % 100)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, 'latin1'));
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function x509Time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? utcTime(date) : generalizedTime(date);
}
