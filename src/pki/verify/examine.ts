import { createHash } from 'node:crypto';
import { digestName, verifyMethod, verifySignature, weakness } from './algorithms.js';
import { buildChain, CertificatePool } from './chain.js';
import { certificateFacts, keyIdOf, type CertificateFacts } from './certificate-facts.js';
import { CMS_OID } from '../cms.js';
import { OID } from '../oids.js';
import { parseSignedData, SIGNING_CERTIFICATE_V1, type SignedData, type SignerIdentifier, type SignerInfo } from './cms.js';
import { children, childrenOf, DerError, integerBytes, octets, raw, readAlgorithm, readBer, readOid, readTime, type Tlv } from '../der-reader.js';
import { failed, indeterminate, type Finding } from './findings.js';
import type { EmbeddedRevocationData } from './revocation-data.js';

/** The certificates and time a verification runs against. */
export interface VerificationContext {
  /** Built-in CAs and trust anchors: a chain must end in one of these. */
  readonly trusted: readonly CertificateFacts[];
  /** Certificates kyso knows but does not trust by themselves (its TSA and OCSP certificates, its issued certificates). */
  readonly known: readonly CertificateFacts[];
  readonly now: Date;
}

/** What a signature time-stamp token (RFC 3161, CAdES-T) proves. */
export interface TimestampCheck {
  readonly genTime: Date;
  /** True when the token is intact, over this signature, and from a trusted TSA valid at genTime. */
  readonly valid: boolean;
  readonly tsa?: string;
  /** When the TSA's certificate expires: after that the token proves its time only under a later time-stamp (PAdES-B-LTA). */
  readonly tsaNotAfter?: Date;
  readonly problem?: string;
}

/** What a SignerInfo is for: a signature over a document, or a time-stamp token (signed by a TSA). */
export type SignerRole = 'signature' | 'timestamp';

/** Everything learned about one SignerInfo before kyso's revocation records are consulted. */
export interface Examination {
  readonly sid: SignerIdentifier;
  signerCert?: CertificateFacts;
  /** Leaf first; just the leaf when no chain was found (empty without a signer certificate). */
  chain: CertificateFacts[];
  /** Integrity, identification, chain and algorithm problems. */
  readonly findings: Finding[];
  readonly warnings: string[];
  /** The time the signer claims (signingTime attribute, or the PDF's /M). */
  claimedTime?: Date;
  /** A proven time the signature existed at (a valid time-stamp's genTime). */
  proofOfExistence?: Date;
  timestamp?: TimestampCheck;
  /** PDF signatures: where it sits and what changed after it (api.md "Verification"). */
  pdf?: {
    fieldName?: string;
    level?: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
    coversWholeDocument: boolean;
    modifiedAfter?: 'none' | 'signatures' | 'annotations' | 'content';
  };
  /** CRLs and OCSP responses carried by the signature (CMS `crls`, adbe-revocationInfoArchival). */
  revocationData: EmbeddedRevocationData;
}

/**
 * Examines every SignerInfo of `signedData` over `content` (the detached document, or the
 * encapsulated content): message digest, signature value (RFC 5652 §5.4, §5.6), the signing
 * certificate and its ESS binding (RFC 5035), the chain to a trusted certificate, and algorithm
 * strength. Validity periods and revocation are judged afterwards, at the signing time.
 */
export function examineSignedData(
  signedData: SignedData,
  content: Buffer | undefined,
  context: VerificationContext,
  options: { role: SignerRole } = { role: 'signature' },
): Examination[] {
  const warnings: string[] = [];
  const carried: CertificateFacts[] = [];
  for (const der of signedData.certificates) {
    try {
      carried.push(certificateFacts(der));
    } catch {
      warnings.push('a certificate in the signature could not be read and was ignored');
    }
  }
  const candidates = [...carried, ...context.known];
  const pool = new CertificatePool(context.trusted, candidates);
  return signedData.signers.map((signer) =>
    examineSigner(signer, signedData, content, candidates, pool, context, options.role, [...warnings]),
  );
}

function examineSigner(
  signer: SignerInfo,
  signedData: SignedData,
  content: Buffer | undefined,
  candidates: readonly CertificateFacts[],
  pool: CertificatePool,
  context: VerificationContext,
  role: SignerRole,
  warnings: string[],
): Examination {
  const findings: Finding[] = [];
  const exam: Examination = { sid: signer.sid, chain: [], findings, warnings, revocationData: carriedRevocationData(signedData, signer) };
  const digest = digestName(signer.digestAlgorithm);
  const method = verifyMethod(signer.signatureAlgorithm, digest);
  if (!digest) findings.push(failed('FORMAT_FAILURE', `unsupported digest algorithm ${signer.digestAlgorithm.oid}`));
  if (!method) findings.push(failed('FORMAT_FAILURE', `unsupported signature algorithm ${signer.signatureAlgorithm.oid}`));
  if (!content) findings.push(indeterminate('SIGNED_DATA_NOT_FOUND', 'the signature is detached: the signed document is needed'));

  let signedBytes: Buffer | undefined = content;
  if (signer.signedAttributesDer) {
    signedBytes = signer.signedAttributesDer;
    try {
      checkSignedAttributes(signer, signedData, content, digest, exam);
    } catch (err) {
      findings.push(failed('FORMAT_FAILURE', `malformed signed attributes: ${(err as Error).message}`));
    }
  }

  const cert = candidates.find((c) => identifies(signer.sid, c));
  if (!cert) {
    findings.push(indeterminate('NO_SIGNING_CERTIFICATE_FOUND', "the signer's certificate is neither in the signature nor known to kyso"));
    return exam;
  }
  exam.signerCert = cert;
  exam.chain = [cert];
  if (method && signedBytes && digest) {
    if (!cert.publicKey) findings.push(failed('FORMAT_FAILURE', "the signer's public key cannot be used"));
    else if (!verifySignature(method, cert.publicKey, signedBytes, signer.signature)) {
      findings.push(failed('SIG_CRYPTO_FAILURE', 'the signature value does not verify with the signer’s public key'));
    }
  }
  try {
    const essProblem = essBindingProblem(signer, cert);
    if (essProblem) findings.push(indeterminate('NO_SIGNING_CERTIFICATE_FOUND', essProblem));
  } catch (err) {
    findings.push(failed('FORMAT_FAILURE', `malformed signing-certificate attribute: ${(err as Error).message}`));
  }

  const chain = buildChain(cert, pool);
  exam.chain = chain.chain;
  if (chain.kind === 'none') {
    findings.push(indeterminate('NO_CERTIFICATE_CHAIN_FOUND', `no chain from ${cert.issuerDn} to a built-in CA or trust anchor`));
  } else if (chain.kind === 'constraints') {
    findings.push(indeterminate('CHAIN_CONSTRAINTS_FAILURE', chain.reason));
  } else if (role === 'signature' && !allowsDocumentSigning(cert)) {
    findings.push(indeterminate('CHAIN_CONSTRAINTS_FAILURE', "the signer's certificate is not for signing documents (extendedKeyUsage)"));
  }
  const weak =
    weakness(method, digest, cert.publicKey) ??
    chain.chain.slice(0, -1).map((c) => weakness(verifyMethod(c.signatureAlgorithm), undefined, undefined)).find(Boolean);
  if (weak) findings.push(indeterminate('CRYPTO_CONSTRAINTS_FAILURE', weak));

  const token = signer.unsignedAttributes.get(CMS_OID.signatureTimeStampToken)?.[0];
  if (token && role === 'signature') {
    exam.timestamp = examineTimestampToken(raw(token), signer.signature, context);
    if (!exam.timestamp.valid) warnings.push(`the signature time-stamp is not usable: ${exam.timestamp.problem}`);
    else if (exam.timestamp.tsaNotAfter && exam.timestamp.tsaNotAfter < context.now) {
      // Its own certificate expired: the token proves its time only under a later time-stamp (B-LTA).
      warnings.push('the TSA certificate of the signature time-stamp has expired: its time counts only under a later document time-stamp');
    } else exam.proofOfExistence = exam.timestamp.genTime;
  }
  return exam;
}

/**
 * Purposes that let a certificate sign documents (api.md "Verification"; RFC 9336 documentSigning,
 * RFC 5280 §4.2.1.12 emailProtection and anyExtendedKeyUsage). Without the extension any purpose
 * is allowed; with it, a serverAuth-only certificate is refused as `openssl cms -verify` ("unsuitable
 * certificate purpose") and NSS (SigningCertNotTrusted) refuse it.
 */
const DOCUMENT_SIGNING_PURPOSES: ReadonlySet<string> = new Set([OID.kpDocumentSigning, OID.kpEmailProtection, OID.anyExtendedKeyUsage]);

function allowsDocumentSigning(cert: CertificateFacts): boolean {
  return !cert.extKeyUsage || cert.extKeyUsage.some((purpose) => DOCUMENT_SIGNING_PURPOSES.has(purpose));
}

/** Adobe's signed attribute carrying revocation data (ISO 32000-1 §12.8.3.3.2). */
const ADBE_REVOCATION_INFO_ARCHIVAL = '1.2.840.113583.1.1.8';

/**
 * The revocation data a signer's signature carries: the SignedData's `crls` field (RFC 5652
 * §10.2.1, RFC 5940) and the adbe-revocationInfoArchival attribute
 * (SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CertificateList, ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse }).
 */
function carriedRevocationData(signedData: SignedData, signer: SignerInfo): EmbeddedRevocationData {
  const crls = [...signedData.crls];
  const ocspResponses = [...signedData.ocspResponses];
  const archival = signer.signedAttributes.get(ADBE_REVOCATION_INFO_ARCHIVAL)?.[0];
  if (archival) {
    try {
      for (const part of children(archival)) {
        const items = childrenOf(children(part)[0], 0x30, 'a SEQUENCE OF revocation values').map((item) => Buffer.from(raw(item)));
        if (part.tag === 0xa0) crls.push(...items);
        else if (part.tag === 0xa1) ocspResponses.push(...items);
      }
    } catch {
      // unreadable archival data is no revocation data; the signature itself is judged elsewhere
    }
  }
  return { crls, ocspResponses };
}

/** Checks contentType and messageDigest (RFC 5652 §5.3, §11) and reads signingTime. */
function checkSignedAttributes(
  signer: SignerInfo,
  signedData: SignedData,
  content: Buffer | undefined,
  digest: string | undefined,
  exam: Examination,
): void {
  const attrs = signer.signedAttributes;
  const contentType = attrs.get(CMS_OID.contentType);
  if (contentType?.length !== 1 || readOid(contentType[0]) !== signedData.eContentType) {
    exam.findings.push(failed('FORMAT_FAILURE', 'the contentType attribute is missing or does not match the content'));
  }
  const messageDigest = attrs.get(CMS_OID.messageDigest);
  if (messageDigest?.length !== 1 || messageDigest[0]!.tag !== 0x04) {
    exam.findings.push(failed('FORMAT_FAILURE', 'the messageDigest attribute is missing'));
  } else if (content && digest && !createHash(digest).update(content).digest().equals(octets(messageDigest[0]!))) {
    exam.findings.push(failed('HASH_FAILURE', 'the document does not match the signed message digest'));
  }
  const signingTime = attrs.get(CMS_OID.signingTime)?.[0];
  if (signingTime) exam.claimedTime = readTime(signingTime);
}

/** Whether `cert` is the one a SignerIdentifier names. */
function identifies(sid: SignerIdentifier, cert: CertificateFacts): boolean {
  return sid.kind === 'keyId'
    ? sid.keyId.equals(keyIdOf(cert))
    : sid.serialBytes.equals(cert.serialBytes) && sid.issuerDer.equals(cert.issuerDer);
}

/**
 * The signing-certificate(-v2) attribute binds the signature to one certificate (RFC 5035 §3,
 * RFC 2634 §5.4): its first ESSCertID must hash to the signer's certificate.
 */
function essBindingProblem(signer: SignerInfo, cert: CertificateFacts): string | undefined {
  const v2 = signer.signedAttributes.get(CMS_OID.signingCertificateV2)?.[0];
  const v1 = signer.signedAttributes.get(SIGNING_CERTIFICATE_V1)?.[0];
  const attribute = v2 ?? v1;
  if (!attribute) return undefined;
  const [certs] = childrenOf(attribute, 0x30, 'a SigningCertificate');
  const [first] = childrenOf(certs!, 0x30, 'ESSCertIDs');
  if (!first) throw new DerError('no ESSCertID');
  const fields = childrenOf(first, 0x30, 'an ESSCertID');
  let i = 0;
  let hash = 'sha1';
  if (v2) {
    // ESSCertIDv2.hashAlgorithm DEFAULT sha256, omitted in DER when it is SHA-256 (stack-notes.md pitfall 7)
    hash = 'sha256';
    if (fields[0]?.tag === 0x30) {
      const named = digestName(readAlgorithm(fields[i++]));
      if (!named) return 'the signing-certificate-v2 attribute uses an unsupported digest';
      hash = named;
    }
  }
  const certHash = octets(fields[i++]!);
  if (!createHash(hash).update(cert.der).digest().equals(certHash)) {
    return `the ${v2 ? 'signing-certificate-v2' : 'signing-certificate'} attribute names another certificate`;
  }
  const issuerSerial = fields[i];
  if (issuerSerial && !integerBytes(children(issuerSerial)[1]).equals(cert.serialBytes)) {
    return 'the signing-certificate attribute names another serial number';
  }
  return undefined;
}

/** The fields of an RFC 3161 TSTInfo the verifier needs. */
export interface TstInfo {
  readonly genTime: Date;
  readonly imprintDigest: string | undefined;
  readonly imprint: Buffer;
}

/** Reads the TSTInfo of a time-stamp token's SignedData (RFC 3161 §2.4.2). */
export function readTstInfo(signedData: SignedData): TstInfo {
  if (signedData.eContentType !== CMS_OID.tstInfo || !signedData.eContent) throw new DerError('not a time-stamp token');
  const fields = childrenOf(readBer(signedData.eContent), 0x30, 'a TSTInfo');
  const [algorithm, hashed] = childrenOf(fields[2]!, 0x30, 'a MessageImprint');
  const genTime: Tlv | undefined = fields[4];
  return { genTime: readTime(genTime), imprintDigest: digestName(readAlgorithm(algorithm)), imprint: octets(hashed!) };
}

/** Whether a TSTInfo's message imprint is the digest of `data`. */
export function imprintMatches(info: TstInfo, data: Buffer): boolean {
  return Boolean(info.imprintDigest && createHash(info.imprintDigest).update(data).digest().equals(info.imprint));
}

/**
 * Checks a signature time-stamp token over `signatureValue` (ETSI EN 319 122-1 §5.3): intact,
 * its imprint over this signature value, its TSA chaining to a trusted certificate, valid at
 * genTime and allowed to time-stamp (RFC 3161 §2.3: extended key usage id-kp-timeStamping).
 */
function examineTimestampToken(token: Buffer, signatureValue: Buffer, context: VerificationContext): TimestampCheck {
  let info: TstInfo;
  let signedData: SignedData;
  try {
    signedData = parseSignedData(token);
    info = readTstInfo(signedData);
  } catch (err) {
    return { genTime: context.now, valid: false, problem: `unreadable time-stamp token (${(err as Error).message})` };
  }
  const exam = examineSignedData(signedData, signedData.eContent, context, { role: 'timestamp' })[0];
  const tsa = exam?.signerCert;
  const problem = timestampProblem(exam, info, signatureValue);
  return {
    genTime: info.genTime,
    valid: !problem,
    ...(tsa ? { tsa: tsa.subjectDn, tsaNotAfter: tsa.notAfter } : {}),
    ...(problem ? { problem } : {}),
  };
}

function timestampProblem(exam: Examination | undefined, info: TstInfo, signatureValue: Buffer): string | undefined {
  if (!exam) return 'the time-stamp token has no signer';
  if (!imprintMatches(info, signatureValue)) return 'the time-stamp is over another signature';
  if (exam.findings[0]) return exam.findings[0].message;
  if (!exam.signerCert?.extKeyUsage?.includes(OID.kpTimeStamping)) return 'the TSA certificate is not for time-stamping';
  const invalid = exam.chain.find((c) => info.genTime < c.notBefore || info.genTime > c.notAfter);
  return invalid ? `${invalid.subjectDn} was not valid at the time-stamp's time` : undefined;
}
