import { createHash } from 'node:crypto';
import { CRL_REASON_CODES } from './crl.js';
import { bitString, explicit, generalizedTime, oid, octetString, sequence, tlv, unsignedInteger } from './der.js';
import { children, childrenOf, content, DerError, expectTag, raw, readWhole, type Tlv } from './der-reader.js';
import { encodeExtension, keyIdentifier, subjectPublicKeyBits } from './extensions.js';
import { OID } from './oids.js';
import { readCertificate } from './x509-reader.js';

/**
 * OCSP (RFC 6960) request parsing and response building. Both sit on the hot path of the
 * responder, so requests are read with the strict DER reader and responses encoded with
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

/** Parses a DER OCSPRequest (RFC 6960 §4.1.1); throws MalformedOcspRequest on anything else. */
export function parseOcspRequest(der: Buffer): OcspRequest {
  try {
    return readRequest(der);
  } catch (err) {
    if (err instanceof DerError) throw new MalformedOcspRequest(err.message);
    throw err;
  }
}

function readRequest(der: Buffer): OcspRequest {
  const [tbs, signature, ...rest] = children(readWhole(der, 0x30));
  // optionalSignature [0] may follow: kyso does not require signed requests.
  if (signature) expectTag(signature, 0xa0);
  if (rest.length) throw new DerError('trailing elements in OCSPRequest');
  const fields = childrenOf(tbs, 0x30);
  let i = 0;
  if (fields[i]?.tag === 0xa0) {
    const version = content(expectTag(children(fields[i++]!)[0], 0x02));
    if (version.length !== 1 || version[0] !== 0) throw new DerError('unsupported OCSPRequest version'); // only v1 (0)
  }
  if (fields[i]?.tag === 0xa1) i++; // requestorName: not used
  const requests = childrenOf(fields[i++], 0x30);
  if (requests.length === 0) throw new DerError('empty requestList');
  if (requests.length > MAX_CERT_IDS) throw new DerError(`more than ${MAX_CERT_IDS} CertIDs`);
  const certIds = requests.map((request) => readCertId(request));
  let nonce: Buffer | undefined;
  if (fields[i]) {
    const [extensions, ...more] = childrenOf(fields[i++], 0xa2);
    if (more.length) throw new DerError('trailing elements in requestExtensions');
    nonce = readNonce(expectTag(extensions, 0x30));
  }
  if (fields[i]) throw new DerError('trailing elements in TBSRequest');
  return { certIds, nonce };
}

function readCertId(request: Tlv): OcspCertId {
  const [certId, singleRequestExtensions, ...rest] = childrenOf(request, 0x30);
  // singleRequestExtensions [0] may follow the CertID; kyso defines none.
  if (singleRequestExtensions) expectTag(singleRequestExtensions, 0xa0);
  if (rest.length) throw new DerError('trailing elements in Request');
  const [algorithm, nameHash, keyHash, serial, ...extra] = childrenOf(certId, 0x30);
  if (extra.length) throw new DerError('trailing elements in CertID');
  const algorithmOid = expectTag(childrenOf(algorithm, 0x30)[0], 0x06);
  const serialBytes = content(expectTag(serial, 0x02));
  if (serialBytes.length === 0) throw new DerError('empty serialNumber');
  return {
    hashAlgorithm: HASH_BY_OID.get(raw(algorithmOid).toString('hex')),
    issuerNameHash: content(expectTag(nameHash, 0x04)),
    issuerKeyHash: content(expectTag(keyHash, 0x04)),
    serial: serialBytes[0]! & 0x80 ? undefined : serialBytes.toString('hex').replace(/^0+/, '') || undefined,
    der: raw(certId!),
  };
}

function readNonce(extensions: Tlv): Buffer | undefined {
  const nonceOid = oid(OID.ocspNonce);
  let nonce: Buffer | undefined;
  for (const extension of children(extensions)) {
    const [id, second, third, ...rest] = childrenOf(extension, 0x30);
    const value = third ?? second; // critical BOOLEAN may stand between
    if (rest.length || (third && second!.tag !== 0x01)) throw new DerError('bad Extension');
    if (!raw(expectTag(id, 0x06)).equals(nonceOid)) continue;
    nonce = content(expectTag(value, 0x04));
    if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) throw new DerError('bad nonce length');
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
  const fields = [identity.responderId, producedAtDer(producedAt), sequence(...singleResponses)];
  if (nonce) fields.push(explicit(1, sequence(encodeExtension({ oid: OID.ocspNonce, critical: false, value: nonce }))));
  return sequence(...fields);
}

/** producedAt of the last response: every response within one second carries the same. */
let lastProducedAt: { time: number; der: Buffer } = { time: NaN, der: Buffer.alloc(0) };
function producedAtDer(date: Date): Buffer {
  if (date.getTime() !== lastProducedAt.time) lastProducedAt = { time: date.getTime(), der: generalizedTime(date) };
  return lastProducedAt.der;
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

/**
 * The CertID issuer hashes of a CA for one hash algorithm (RFC 6960 §4.1.1). SHA-224 is among them
 * because the verifier matches the CertIDs other PKIs' responders answer with.
 */
export function issuerHashes(
  hash: CertIdHash | 'sha224',
  issuerName: Uint8Array,
  publicKeyInfo: Uint8Array,
): { nameHash: Buffer; keyHash: Buffer } {
  return {
    nameHash: createHash(hash).update(issuerName).digest(),
    keyHash: createHash(hash).update(subjectPublicKeyBits(publicKeyInfo)).digest(),
  };
}

/**
 * A DER OCSPRequest (RFC 6960 §4.1.1) for the certificate with serial `serialBytes` (its magnitude),
 * issued under the name `issuerName` (DER) by the key `issuerPublicKeyInfo` (DER SPKI): one CertID
 * hashed with SHA-1 as RFC 5019 clients send it and responders' caches expect, without nonce.
 */
export function ocspRequest(serialBytes: Uint8Array, issuerName: Uint8Array, issuerPublicKeyInfo: Uint8Array): Buffer {
  const { nameHash, keyHash } = issuerHashes('sha1', issuerName, issuerPublicKeyInfo);
  const certId = sequence(sequence(oid(OID.sha1), tlv(0x05)), octetString(nameHash), octetString(keyHash), unsignedInteger(serialBytes));
  // OCSPRequest { TBSRequest { requestList SEQUENCE OF Request { reqCert } } }
  return sequence(sequence(sequence(sequence(certId))));
}

/** `ocspRequest` for a certificate and its issuer given as DER: what a signer asks its own responder for the PDF's DSS. */
export function encodeOcspRequest(certificateDer: Uint8Array, issuerDer: Uint8Array): Buffer {
  const issuer = readCertificate(issuerDer);
  return ocspRequest(readCertificate(certificateDer).serialBytes, issuer.subjectDer, issuer.publicKeyInfo);
}
