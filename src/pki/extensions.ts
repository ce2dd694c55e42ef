import { createHash } from 'node:crypto';
import { bitString, boolean, explicit, implicitConstructed, implicitPrimitive, integer, octetString, oid, sequence } from './der.js';
import { OID } from './oids.js';

/** An X.509 extension: its OID, criticality and the DER of its value (the content of extnValue). */
export interface ExtensionSpec {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** DER of an Extension (RFC 5280 §4.1): critical is omitted when false (DEFAULT FALSE). */
export function encodeExtension(ext: ExtensionSpec): Buffer {
  return ext.critical
    ? sequence(oid(ext.oid), boolean(true), octetString(ext.value))
    : sequence(oid(ext.oid), octetString(ext.value));
}

/** BasicConstraints value (RFC 5280 §4.2.1.9). */
export function basicConstraintsValue(ca: boolean, pathLength?: number): Buffer {
  if (!ca) return sequence();
  return pathLength === undefined ? sequence(boolean(true)) : sequence(boolean(true), integer(pathLength));
}

/** KeyUsage bits, numbered as in RFC 5280 §4.2.1.3. */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** KeyUsage value: a BIT STRING whose unused-bits count equals its trailing zero bits (DER, X.690 §11.2.2). */
export function keyUsageValue(bits: readonly number[]): Buffer {
  const max = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(max / 8) + 1);
  for (const bit of bits) bytes[Math.floor(bit / 8)]! |= 0x80 >> bit % 8;
  return bitString(bytes, 7 - (max % 8));
}

/** Key identifier per RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(subjectPublicKeyInfo: Uint8Array): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(subjectPublicKeyInfo)).digest();
}

/** SubjectKeyIdentifier value. */
export const subjectKeyIdentifierValue = (keyId: Uint8Array): Buffer => octetString(keyId);

/** AuthorityKeyIdentifier value with keyIdentifier only. */
export const authorityKeyIdentifierValue = (keyId: Uint8Array): Buffer => sequence(implicitPrimitive(0, keyId));

/** ExtendedKeyUsage value. */
export const extKeyUsageValue = (purposes: readonly string[]): Buffer => sequence(...purposes.map(oid));

/** The `subjectPublicKey` bits (without the unused-bits octet) of a DER SubjectPublicKeyInfo. */
export function subjectPublicKeyBits(spki: Uint8Array): Buffer {
  const buf = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  let offset = skipHeader(buf, 0); // into the outer SEQUENCE
  offset = skipElement(buf, offset); // past AlgorithmIdentifier
  const bodyStart = skipHeader(buf, offset); // BIT STRING contents
  const end = bodyStart + elementLength(buf, offset);
  return buf.subarray(bodyStart + 1, end);
}

function headerLength(buf: Buffer, offset: number): { header: number; length: number } {
  const first = buf[offset + 1]!;
  if (first < 0x80) return { header: 2, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
  return { header: 2 + n, length };
}
const skipHeader = (buf: Buffer, offset: number) => offset + headerLength(buf, offset).header;
const elementLength = (buf: Buffer, offset: number) => headerLength(buf, offset).length;
function skipElement(buf: Buffer, offset: number): number {
  const { header, length } = headerLength(buf, offset);
  return offset + header + length;
}


/** Where relying parties fetch a CA's CRL, ask OCSP (if it answers for the certificate) and fetch the CA certificate. */
export interface AccessUrls {
  readonly crl: string;
  readonly ocsp?: string;
  readonly caIssuers: string;
}

/**
 * CRL distribution point (RFC 5280 §4.2.1.13) and authority information access (§4.2.2.1)
 * extensions pointing at `urls`.
 */
export function accessExtensions(urls: AccessUrls): ExtensionSpec[] {
  const uri = (u: string) => implicitPrimitive(6, Buffer.from(u, 'latin1')); // GeneralName uniformResourceIdentifier
  // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }
  const crlDp = sequence(sequence(explicit(0, implicitConstructed(0, uri(urls.crl)))));
  const aia = sequence(...(urls.ocsp ? [sequence(oid(OID.adOcsp), uri(urls.ocsp))] : []), sequence(oid(OID.adCaIssuers), uri(urls.caIssuers)));
  return [
    { oid: OID.crlDistributionPoints, critical: false, value: crlDp },
    { oid: OID.authorityInfoAccess, critical: false, value: aia },
  ];
}
