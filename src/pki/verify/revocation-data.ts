import { serialHex } from '../certificate.js';
import { CRL_REASON_CODES } from '../crl.js';
import { issuerHashes } from '../ocsp.js';
import { OID } from '../oids.js';
import { digestName, verifyMethod, verifySignature } from './algorithms.js';
import { certificateFacts, type CertificateFacts } from './certificate-facts.js';
import { isSignedBy } from './chain.js';
import {
  children,
  childrenOf,
  content,
  DerError,
  expectTag,
  integerBytes,
  octets,
  raw,
  readAlgorithm,
  readBer,
  readOid,
  readTime,
  type AlgorithmIdentifier,
  type Tlv,
} from '../der-reader.js';

/**
 * Reading other PKIs' revocation data (RFC 5280 §5 CRLs, RFC 6960 OCSP responses) for the
 * verifier: each answer is checked against the certificate's issuer (signature, issuer name,
 * CertID) before it says anything about the certificate.
 */

/** What one CRL or OCSP response says about one certificate. */
export interface RevocationEvidence {
  readonly status: 'good' | 'revoked' | 'suspended' | 'unknown';
  readonly revokedAt?: Date;
  /** RFC 5280 reason name, e.g. `keyCompromise`. */
  readonly reason?: string;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

/** Revocation data that cannot be used: unreadable, badly signed, about another certificate or out of date. */
export class UnusableRevocationData extends Error {}

/**
 * Reads revocation data with `read`, malformed bytes (DerError) making it unusable: anyone can put
 * CRLs and OCSP responses into a signature's `crls` field (it is not signed), so bad ones must give
 * an answer without them, never a failed verification.
 */
function unusableIfMalformed<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof DerError) throw new UnusableRevocationData(`unreadable ${what} (${err.message})`);
    throw err;
  }
}

const REASON_NAMES = new Map<number, string>(Object.entries(CRL_REASON_CODES).map(([name, code]) => [code, name]));

/** A revocation entry as CRLs and OCSP both state it: hold (certificateHold, RFC 5280 §5.3.1) is a suspension. */
function revoked(at: Date, reasonCode: number | undefined, thisUpdate: Date, nextUpdate: Date | undefined): RevocationEvidence {
  const reason = reasonCode === undefined ? undefined : REASON_NAMES.get(reasonCode);
  return {
    status: reason === 'certificateHold' ? 'suspended' : 'revoked',
    revokedAt: at,
    ...(reason ? { reason } : {}),
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
  };
}

/** Allowed clock difference between kyso and the CA that made the data. */
const SKEW_MS = 5 * 60_000;

/**
 * Refuses data made in the future, or whose nextUpdate passed before `at` (RFC 5280 §6.3.3 (a),
 * RFC 6960 §3.2 (5)): `at` is now for fetched data, the signing time for data carried in a signature.
 */
function checkCurrent(thisUpdate: Date, nextUpdate: Date | undefined, now: Date, at: Date): void {
  if (thisUpdate.getTime() > now.getTime() + SKEW_MS) throw new UnusableRevocationData('its thisUpdate is in the future');
  if (nextUpdate && nextUpdate.getTime() + SKEW_MS < at.getTime()) throw new UnusableRevocationData(`it is out of date (nextUpdate ${nextUpdate.toISOString()})`);
}

// ---------------------------------------------------------------------------------------------
// CRLs

/** A parsed CRL, its entries indexed by serial so a large CRL is read once and looked up often. */
export interface ParsedCrl {
  readonly issuerDer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Buffer;
  /** Revoked serials (lowercase hex magnitude, as CertificateFacts.serial) → date and reason code. */
  readonly entries: ReadonlyMap<string, { at: Date; reasonCode?: number }>;
  /** Whether it carries a critical extension kyso does not process (a delta CRL, a partitioned scope). */
  readonly unhandledCritical: boolean;
}

const CRL_REASON = OID.crlReason;
/** CRL extensions that do not limit what a complete CRL covers. */
const HARMLESS_CRL_EXTENSIONS: ReadonlySet<string> = new Set([OID.crlNumber, OID.authorityKeyIdentifier]);

/** Parses a DER CertificateList (RFC 5280 §5.1). Throws UnusableRevocationData. */
export function parseCrl(der: Buffer): ParsedCrl {
  return unusableIfMalformed('CRL', () => {
    const outer = readBer(der);
    if (outer.end !== der.length) throw new DerError('trailing bytes after the CRL');
    const [tbsTlv, algorithm, signatureTlv] = childrenOf(outer, 0x30, 'a CertificateList');
    const fields = childrenOf(tbsTlv!, 0x30, 'a TBSCertList');
    let i = fields[0]?.tag === 0x02 ? 1 : 0;
    i++; // signature AlgorithmIdentifier (covered by the signature)
    const issuer = expectTag(fields[i++], 0x30, 'an issuer Name');
    const thisUpdate = readTime(fields[i++]);
    let nextUpdate: Date | undefined;
    if (fields[i]?.tag === 0x17 || fields[i]?.tag === 0x18) nextUpdate = readTime(fields[i++]);
    const entries = new Map<string, { at: Date; reasonCode?: number }>();
    let unhandledCritical = false;
    if (fields[i]?.tag === 0x30) {
      for (const entry of children(fields[i++]!)) {
        const [serial, date, extensions] = childrenOf(entry, 0x30, 'a revoked certificate');
        let reasonCode: number | undefined;
        for (const ext of extensions ? children(extensions) : []) {
          const parts = children(ext);
          const id = readOid(parts[0]);
          const critical = parts.length === 3 && content(parts[1]!)[0] !== 0;
          if (id === CRL_REASON) reasonCode = content(expectTag(readBer(octets(parts[parts.length - 1]!)), 0x0a, 'a CRLReason'))[0];
          else if (critical) unhandledCritical = true; // e.g. certificateIssuer of an indirect CRL
        }
        entries.set(serialHex(integerBytes(serial)), { at: readTime(date), ...(reasonCode === undefined ? {} : { reasonCode }) });
      }
    }
    if (fields[i]?.tag === 0xa0) {
      for (const ext of childrenOf(children(fields[i]!)[0], 0x30, 'crlExtensions')) {
        const parts = children(ext);
        const critical = parts.length === 3 && content(parts[1]!)[0] !== 0;
        if (critical && !HARMLESS_CRL_EXTENSIONS.has(readOid(parts[0]))) unhandledCritical = true;
      }
    }
    return {
      issuerDer: raw(issuer),
      thisUpdate,
      ...(nextUpdate ? { nextUpdate } : {}),
      tbs: raw(tbsTlv!),
      signatureAlgorithm: readAlgorithm(algorithm),
      signature: content(expectTag(signatureTlv, 0x03, 'a signature BIT STRING')).subarray(1),
      entries,
      unhandledCritical,
    };
  });
}

/** Whether `issuer` signed the CRL and names itself as its issuer. */
function crlIssuedBy(crl: ParsedCrl, issuer: CertificateFacts): boolean {
  const method = verifyMethod(crl.signatureAlgorithm);
  return Boolean(
    crl.issuerDer.equals(issuer.subjectDer) && method && issuer.publicKey && verifySignature(method, issuer.publicKey, crl.tbs, crl.signature),
  );
}

/** What a CRL of `issuer` says about `cert`, current at `at` (default now). Throws UnusableRevocationData. */
export function crlStatus(crl: ParsedCrl, cert: CertificateFacts, issuer: CertificateFacts, now: Date, at = now): RevocationEvidence {
  if (!verifiedCrl(crl, issuer)) throw new UnusableRevocationData(`the CRL is not signed by ${issuer.subjectDn}`);
  if (crl.unhandledCritical) throw new UnusableRevocationData('the CRL has a critical extension kyso does not process');
  checkCurrent(crl.thisUpdate, crl.nextUpdate, now, at);
  const entry = crl.entries.get(cert.serial);
  if (!entry) return { status: 'good', thisUpdate: crl.thisUpdate, ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate } : {}) };
  return revoked(entry.at, entry.reasonCode, crl.thisUpdate, crl.nextUpdate);
}

/** Issuers whose signature on a CRL was checked: a cached CRL of several MB is hashed once, not per verification. */
const checkedIssuers = new WeakMap<ParsedCrl, Set<string>>();

function verifiedCrl(crl: ParsedCrl, issuer: CertificateFacts): boolean {
  const checked = checkedIssuers.get(crl) ?? new Set<string>();
  if (checked.has(issuer.fingerprint)) return true;
  if (!crlIssuedBy(crl, issuer)) return false;
  checked.add(issuer.fingerprint);
  checkedIssuers.set(crl, checked);
  return true;
}

// ---------------------------------------------------------------------------------------------
// OCSP

const BASIC_RESPONSE = OID.ocspBasic;

/**
 * What a DER OCSPResponse says about `cert`, current at `at` (RFC 6960 §3.2): a successful basic
 * response, signed by the issuer or by a responder the issuer delegated (id-kp-OCSPSigning), with
 * a SingleResponse whose CertID names `cert`. Throws UnusableRevocationData.
 */
export function ocspStatus(der: Buffer, cert: CertificateFacts, issuer: CertificateFacts, now: Date, at = now): RevocationEvidence {
  return unusableIfMalformed('OCSP response', () => {
    const outer = readBer(der);
    if (outer.end !== der.length) throw new DerError('trailing bytes after the OCSPResponse');
    const [status, bytes] = childrenOf(outer, 0x30, 'an OCSPResponse');
    const code = content(expectTag(status, 0x0a, 'a responseStatus'))[0];
    if (code !== 0) throw new UnusableRevocationData(`the responder answered status ${code} (not successful)`);
    const [type, response] = childrenOf(childrenOf(bytes, 0xa0, 'responseBytes')[0], 0x30, 'a ResponseBytes');
    if (readOid(type) !== BASIC_RESPONSE) throw new UnusableRevocationData('not a basic OCSP response');
    const basicTlv = readBer(octets(expectTag(response, 0x04, 'a response OCTET STRING')));
    const [tbs, algorithm, signature, certs] = childrenOf(basicTlv, 0x30, 'a BasicOCSPResponse');
    const responseData = expectTag(tbs, 0x30, 'a ResponseData');
    const basic = {
      tbs: raw(responseData),
      fields: children(responseData),
      algorithm: readAlgorithm(algorithm),
      signature: content(expectTag(signature, 0x03, 'a signature BIT STRING')).subarray(1),
      certs: certs?.tag === 0xa0 ? childrenOf(children(certs)[0], 0x30, 'a SEQUENCE OF Certificate').map((c) => Buffer.from(raw(c))) : [],
    };
    const signer = responderOf(basic, issuer);
    if (!signer) throw new UnusableRevocationData(`the OCSP response is signed neither by ${issuer.subjectDn} nor by a responder it authorized`);
    let i = basic.fields[0]?.tag === 0xa0 ? 1 : 0;
    i++; // responderID, checked through the signature
    i++; // producedAt
    const responses = childrenOf(basic.fields[i], 0x30, 'responses');
    for (const single of responses) {
      const parts = children(single);
      if (!certIdNames(parts[0], cert, issuer)) continue;
      const thisUpdate = readTime(parts[2]);
      const next = parts.slice(3).find((p) => p.tag === 0xa0);
      const nextUpdate = next ? readTime(children(next)[0]) : undefined;
      checkCurrent(thisUpdate, nextUpdate, now, at);
      const certStatus = parts[1]!;
      if (certStatus.tag === 0x80) return { status: 'good', thisUpdate, ...(nextUpdate ? { nextUpdate } : {}) };
      if (certStatus.tag === 0xa1) {
        const [time, reason] = children(certStatus);
        const reasonCode = reason ? content(expectTag(children(reason)[0], 0x0a, 'a CRLReason'))[0] : undefined;
        return revoked(readTime(time), reasonCode, thisUpdate, nextUpdate);
      }
      return { status: 'unknown', thisUpdate, ...(nextUpdate ? { nextUpdate } : {}) };
    }
    throw new UnusableRevocationData('the OCSP response does not answer for this certificate');
  });
}

/** The certificate that signed a basic response: the issuer itself, or a delegated responder it issued (RFC 6960 §4.2.2.2). */
function responderOf(
  basic: { tbs: Buffer; algorithm: AlgorithmIdentifier; signature: Buffer; certs: Buffer[] },
  issuer: CertificateFacts,
): CertificateFacts | undefined {
  const method = verifyMethod(basic.algorithm);
  if (!method) return undefined;
  const signs = (c: CertificateFacts) => Boolean(c.publicKey && verifySignature(method, c.publicKey, basic.tbs, basic.signature));
  if (signs(issuer)) return issuer;
  for (const der of basic.certs) {
    let candidate: CertificateFacts;
    try {
      candidate = certificateFacts(der);
    } catch {
      continue;
    }
    const delegated = candidate.extKeyUsage?.includes(OID.kpOcspSigning) && candidate.issuerDer.equals(issuer.subjectDer);
    if (delegated && isSignedBy(candidate, issuer) && signs(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** Whether a CertID (any hash the verifier knows) names `cert` issued by `issuer`. */
function certIdNames(certId: Tlv | undefined, cert: CertificateFacts, issuer: CertificateFacts): boolean {
  const [algorithm, nameHash, keyHash, serial] = childrenOf(certId, 0x30, 'a CertID');
  const hash = digestName(readAlgorithm(algorithm));
  if (!hash || !integerBytes(serial).equals(cert.serialBytes)) return false;
  const expected = issuerHashes(hash, cert.issuerDer, issuer.publicKeyInfo);
  return (
    octets(expectTag(nameHash, 0x04, 'issuerNameHash')).equals(expected.nameHash) &&
    octets(expectTag(keyHash, 0x04, 'issuerKeyHash')).equals(expected.keyHash)
  );
}

/**
 * CRLs and OCSP responses a signature carries (CMS `crls`, the adbe-revocationInfoArchival
 * attribute). A PDF's DSS is not read as revocation data: only its certificates help build chains.
 */
export interface EmbeddedRevocationData {
  readonly crls: readonly Buffer[];
  readonly ocspResponses: readonly Buffer[];
}

/**
 * What the revocation data carried with a signature says about `cert` at the signing time `at`
 * (PAdES-B-LT, CAdES-X-L): the first OCSP response, else CRL, that is usable and knows the
 * certificate; undefined when none is.
 */
export function embeddedStatus(
  data: EmbeddedRevocationData,
  cert: CertificateFacts,
  issuer: CertificateFacts,
  now: Date,
  at: Date,
): RevocationEvidence | undefined {
  const attempts = [
    ...data.ocspResponses.map((der) => () => ocspStatus(der, cert, issuer, now, at)),
    ...data.crls.map((der) => () => crlStatus(parseCrl(der), cert, issuer, now, at)),
  ];
  for (const attempt of attempts) {
    try {
      const evidence = attempt();
      if (evidence.status !== 'unknown') return evidence;
    } catch (err) {
      if (!(err instanceof UnusableRevocationData)) throw err;
    }
  }
  return undefined;
}
