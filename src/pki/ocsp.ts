import { createHash } from 'node:crypto';
import { CRL_REASON_CODES } from './crl.js';
import { bitString, explicit, generalizedTime, oid, octetString, sequence, tlv } from './der.js';
import { encodeExtension, keyIdentifier, subjectPublicKeyBits } from './extensions.js';
import { OID } from './oids.js';

/**
 * OCSP (RFC 6960) request parsing and response building. Both sit on the hot path of the
 * responder, so requests are read with a small strict DER reader and responses encoded with
 * der.ts; tests prove both agree with pkijs on the same inputs.
 */

/** Hash algorithms a CertID may use; SHA-1 is what most clients still send (RFC 6960 §4.1.1). */
export type CertIdHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const HASH_BY_OID = new Map<string, CertIdHash>([
  [oid(OID.sha1).toString('hex'), 'sha1'],
  [oid(OID.sha256).toString('hex'), 'sha256'],
  [oid(OID.sha384).toString('hex'), 'sha384'],
  [oid(OID.sha512).toString('hex'), 'sha512'],
]);

/** One CertID of a request, with its raw DER so the response echoes it byte for byte. */
export interface OcspCertId {
  /** undefined when the request names a hash kyso does not know: the answer is `unknown`. */
  readonly hashAlgorithm: CertIdHash | undefined;
  readonly issuerNameHash: Buffer;
  readonly issuerKeyHash: Buffer;
  /** Lowercase hex without leading zeros; undefined for a zero or negative serial (never issued). */
  readonly serial: string | undefined;
  readonly der: Buffer;
}

/** What kyso reads from an OCSPRequest. */
export interface OcspRequest {
  readonly certIds: OcspCertId[];
  /** The nonce extension's extnValue contents, echoed unchanged (RFC 8954). */
  readonly nonce: Buffer | undefined;
}

/** The request cannot be read as an OCSPRequest: answered with `malformedRequest`. */
export class MalformedOcspRequest extends Error {}

/** Most CertIDs kyso answers in one request; RFC 5019 clients send one. */
export const MAX_CERT_IDS = 64;
/** Longest nonce extnValue echoed (RFC 8954 §2.1 allows refusing more than 32 octets of nonce). */
const MAX_NONCE_LENGTH = 64;

interface Element {
  tag: number;
  /** Offset of the tag octet. */
  offset: number;
  /** Offset of the contents. */
  start: number;
  /** Offset just past the contents. */
  end: number;
}

/** Reads the TLV at `offset`; definite lengths only, never past `limit`. */
function readElement(buf: Buffer, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new MalformedOcspRequest('truncated element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new MalformedOcspRequest('multi-byte tags are not used in OCSP');
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3) throw new MalformedOcspRequest('indefinite or oversized length');
    if (start + n > limit) throw new MalformedOcspRequest('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + length;
  if (end > limit) throw new MalformedOcspRequest('element runs past its container');
  return { tag, offset, start, end };
}

/** Reads the TLV at `offset` and checks its tag. */
function expect(buf: Buffer, offset: number, limit: number, tag: number, what: string): Element {
  const element = readElement(buf, offset, limit);
  if (element.tag !== tag) throw new MalformedOcspRequest(`expected ${what}`);
  return element;
}

/** Parses a DER OCSPRequest (RFC 6960 §4.1.1); throws MalformedOcspRequest on anything else. */
export function parseOcspRequest(der: Buffer): OcspRequest {
  const outer = expect(der, 0, der.length, 0x30, 'OCSPRequest');
  if (outer.end !== der.length) throw new MalformedOcspRequest('trailing bytes after the request');
  const tbs = expect(der, outer.start, outer.end, 0x30, 'TBSRequest');
  let at = tbs.start;
  let element = readElement(der, at, tbs.end);
  if (element.tag === 0xa0) {
    // version [0] EXPLICIT, only v1 (0) exists
    const version = expect(der, element.start, element.end, 0x02, 'version');
    if (version.end - version.start !== 1 || der[version.start] !== 0) throw new MalformedOcspRequest('unsupported version');
    at = element.end;
    element = readElement(der, at, tbs.end);
  }
  if (element.tag === 0xa1) {
    at = element.end; // requestorName: kyso does not require signed requests
    element = readElement(der, at, tbs.end);
  }
  if (element.tag !== 0x30) throw new MalformedOcspRequest('expected requestList');
  const certIds: OcspCertId[] = [];
  for (let r = element.start; r < element.end; ) {
    const request = expect(der, r, element.end, 0x30, 'Request');
    if (certIds.length === MAX_CERT_IDS) throw new MalformedOcspRequest(`more than ${MAX_CERT_IDS} CertIDs`);
    certIds.push(parseCertId(der, request));
    r = request.end;
  }
  if (certIds.length === 0) throw new MalformedOcspRequest('empty requestList');
  at = element.end;
  let nonce: Buffer | undefined;
  if (at < tbs.end) {
    const extensions = expect(der, at, tbs.end, 0xa2, 'requestExtensions');
    nonce = readNonce(der, expect(der, extensions.start, extensions.end, 0x30, 'Extensions'));
    if (extensions.end !== tbs.end) throw new MalformedOcspRequest('trailing bytes in TBSRequest');
  }
  // optionalSignature [0] may follow: read past it, requests need no signature here.
  if (tbs.end < outer.end) expect(der, tbs.end, outer.end, 0xa0, 'optionalSignature');
  return { certIds, nonce };
}

function parseCertId(der: Buffer, request: Element): OcspCertId {
  const certId = expect(der, request.start, request.end, 0x30, 'CertID');
  const algorithm = expect(der, certId.start, certId.end, 0x30, 'hashAlgorithm');
  const algorithmOid = expect(der, algorithm.start, algorithm.end, 0x06, 'hash algorithm OID');
  const nameHash = expect(der, algorithm.end, certId.end, 0x04, 'issuerNameHash');
  const keyHash = expect(der, nameHash.end, certId.end, 0x04, 'issuerKeyHash');
  const serial = expect(der, keyHash.end, certId.end, 0x02, 'serialNumber');
  if (serial.end !== certId.end || serial.start === serial.end) throw new MalformedOcspRequest('bad CertID');
  // singleRequestExtensions [0] may follow the CertID; kyso defines none.
  if (certId.end < request.end) expect(der, certId.end, request.end, 0xa0, 'singleRequestExtensions');
  const serialBytes = der.subarray(serial.start, serial.end);
  return {
    hashAlgorithm: HASH_BY_OID.get(der.toString('hex', algorithmOid.offset, algorithmOid.end)),
    issuerNameHash: der.subarray(nameHash.start, nameHash.end),
    issuerKeyHash: der.subarray(keyHash.start, keyHash.end),
    serial: serialBytes[0]! & 0x80 ? undefined : serialBytes.toString('hex').replace(/^0+/, '') || undefined,
    der: der.subarray(certId.offset, certId.end),
  };
}

function readNonce(der: Buffer, extensions: Element): Buffer | undefined {
  const nonceOid = oid(OID.ocspNonce);
  let nonce: Buffer | undefined;
  for (let e = extensions.start; e < extensions.end; ) {
    const extension = expect(der, e, extensions.end, 0x30, 'Extension');
    const id = expect(der, extension.start, extension.end, 0x06, 'extnID');
    let next = readElement(der, id.end, extension.end);
    if (next.tag === 0x01) next = readElement(der, next.end, extension.end); // critical
    if (next.tag !== 0x04 || next.end !== extension.end) throw new MalformedOcspRequest('bad Extension');
    if (der.subarray(id.offset, id.end).equals(nonceOid)) {
      if (next.end - next.start > MAX_NONCE_LENGTH || next.end === next.start) throw new MalformedOcspRequest('bad nonce length');
      nonce = der.subarray(next.start, next.end);
    }
    e = extension.end;
  }
  return nonce;
}

/** Status of one certificate as the responder tells it (RFC 6960 §4.2.1 CertStatus). */
export type CertStatus =
  | { readonly kind: 'good' }
  | { readonly kind: 'revoked'; readonly revocationTime: Date; readonly reasonCode: number }
  | { readonly kind: 'unknown' };

/** One SingleResponse. */
export interface SingleResponseSpec {
  /** The request's CertID DER, echoed as received. */
  readonly certId: Uint8Array;
  readonly status: CertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

const GOOD = Buffer.from([0x80, 0x00]); // good [0] IMPLICIT NULL
const UNKNOWN = Buffer.from([0x82, 0x00]); // unknown [2] IMPLICIT UnknownInfo (NULL)

/** DER of the CertStatus CHOICE; the reason is left out when `unspecified`, as in CRL entries. */
export function encodeCertStatus(status: CertStatus): Buffer {
  if (status.kind === 'good') return GOOD;
  if (status.kind === 'unknown') return UNKNOWN;
  const reason =
    status.reasonCode === CRL_REASON_CODES.unspecified ? [] : [explicit(0, tlv(0x0a, Buffer.from([status.reasonCode])))];
  return tlv(0xa1, generalizedTime(status.revocationTime), ...reason); // revoked [1] IMPLICIT RevokedInfo
}

/** DER of a SingleResponse (RFC 6960 §4.2.1). */
export function encodeSingleResponse(spec: SingleResponseSpec): Buffer {
  return sequence(
    spec.certId,
    encodeCertStatus(spec.status),
    generalizedTime(spec.thisUpdate),
    explicit(0, generalizedTime(spec.nextUpdate)),
  );
}

/** The parts of a response that depend only on who signs it, encoded once. */
export interface ResponderIdentity {
  /** ResponderID byKey: `[2] EXPLICIT OCTET STRING` of the SHA-1 key hash (RFC 6960 §4.2.1). */
  readonly responderId: Buffer;
  /** DER AlgorithmIdentifier of the signature. */
  readonly signatureAlgorithm: Buffer;
  /** `certs [0] EXPLICIT SEQUENCE OF Certificate`, or empty when the CA signs itself. */
  readonly certs: Buffer;
}

/**
 * The precomputed identity of a responder: `publicKeyInfo` is the signing key's SPKI, `certificates`
 * the responder certificate and any CA certificates the client needs to reach its trust anchor.
 */
export function responderIdentity(
  publicKeyInfo: Uint8Array,
  signatureAlgorithm: Uint8Array,
  certificates: readonly Uint8Array[],
): ResponderIdentity {
  return {
    responderId: explicit(2, octetString(keyIdentifier(publicKeyInfo))),
    signatureAlgorithm: Buffer.from(signatureAlgorithm),
    certs: certificates.length ? explicit(0, sequence(...certificates)) : Buffer.alloc(0),
  };
}

/** DER of ResponseData (RFC 6960 §4.2.1), version v1 (the default, so omitted). */
export function encodeResponseData(
  identity: ResponderIdentity,
  producedAt: Date,
  singleResponses: readonly Uint8Array[],
  nonce: Uint8Array | undefined,
): Buffer {
  const fields = [identity.responderId, generalizedTime(producedAt), sequence(...singleResponses)];
  if (nonce) fields.push(explicit(1, sequence(encodeExtension({ oid: OID.ocspNonce, critical: false, value: nonce }))));
  return sequence(...fields);
}

const BASIC_RESPONSE_TYPE = oid(OID.ocspBasic);
const SUCCESSFUL = Buffer.from([0x0a, 0x01, 0x00]); // responseStatus ENUMERATED successful (0)

/** DER of a successful OCSPResponse wrapping the BasicOCSPResponse over `responseData`. */
export function encodeOcspResponse(identity: ResponderIdentity, responseData: Uint8Array, signature: Uint8Array): Buffer {
  const basic = sequence(responseData, identity.signatureAlgorithm, bitString(signature), identity.certs);
  const responseBytes = sequence(BASIC_RESPONSE_TYPE, octetString(basic));
  return sequence(SUCCESSFUL, explicit(0, responseBytes)); // responseBytes [0] EXPLICIT
}

/** OCSPResponse status codes that carry no responseBytes (RFC 6960 §4.2.1). */
export const OcspResponseStatus = {
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

/** DER of an OCSPResponse with only a status (no responseBytes). */
export function encodeOcspError(status: (typeof OcspResponseStatus)[keyof typeof OcspResponseStatus]): Buffer {
  return sequence(tlv(0x0a, Buffer.from([status])));
}

/** The CertID issuer hashes of a CA for one hash algorithm (RFC 6960 §4.1.1). */
export function issuerHashes(
  hash: CertIdHash,
  subjectDer: Uint8Array,
  publicKeyInfo: Uint8Array,
): { nameHash: Buffer; keyHash: Buffer } {
  return {
    nameHash: createHash(hash).update(subjectDer).digest(),
    keyHash: createHash(hash).update(subjectPublicKeyBits(publicKeyInfo)).digest(),
  };
}
