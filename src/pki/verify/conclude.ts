import { serialHex } from '../certificate.js';
import { formatName } from '../name.js';
import { readBer, readNameAttributes } from '../der-reader.js';
import type { CertificateFacts } from './certificate-facts.js';
import type { Examination } from './examine.js';
import { failed, indeterminate, worst, type Finding, type Indication, type SubIndication } from './findings.js';

/** kyso's own record of a certificate's status (table `certificates`). */
export interface RevocationRecord {
  readonly status: 'active' | 'suspended' | 'revoked';
  readonly revokedAt?: Date | null;
  readonly revocationReason?: string | null;
  readonly suspendedAt?: Date | null;
}

/** Status of the signer's certificate as its revocation data tells it. */
export type CertificateStatus = 'good' | 'revoked' | 'suspended' | 'unknown';

/**
 * Where the signer certificate's status came from (api.md "Verification"): kyso's records, the
 * issuer's CRL or OCSP responder, revocation data carried in the signature, or nowhere.
 */
export type RevocationSource = 'kyso' | 'crl' | 'ocsp' | 'embedded' | 'none';

/** The verdict on one signature (api.md "Verification"). */
export interface SignatureReport {
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly format: string;
  readonly signer: { subject: string; uid: string[]; serial: string; issuer: string };
  /** The time the signer claims, else a time-stamp's time (ISO 8601). */
  readonly signingTime?: string;
  readonly timestamp?: { time: string; tsa?: string; valid: boolean };
  readonly certificateStatus: CertificateStatus;
  readonly revocationSource: RevocationSource;
  readonly revokedAt?: string;
  readonly revocationReason?: string;
  /** PDF signatures: the field, the PAdES level, and what changed after it. */
  readonly fieldName?: string;
  readonly level?: string;
  readonly coversWholeDocument?: boolean;
  readonly modifiedAfter?: string;
  /** Subjects from the signer's certificate up to the trusted one. */
  readonly chain: string[];
  /** Why the indication is not TOTAL_PASSED, most serious first. */
  readonly reasons: string[];
  readonly warnings: string[];
}

/**
 * Judges one examined signature at its best signature time (ETSI EN 319 102-1 §5.6.2.1: a
 * time-stamp's genTime when one proves it, else the claimed signing time, else now): validity of
 * every certificate of the chain at that time, then the signer certificate's status from `source`.
 * With no revocation information at all the signature is INDETERMINATE/TRY_LATER (§5.2.5.4), never
 * TOTAL_PASSED; `unavailable` says why there was none.
 */
export function conclude(
  exam: Examination,
  options: { now: Date; format: string; record?: RevocationRecord; source?: Exclude<RevocationSource, 'none'>; unavailable?: readonly string[] },
): SignatureReport {
  const { now, record } = options;
  const proof = exam.proofOfExistence;
  const bestTime = proof ?? exam.claimedTime ?? now;
  const findings: Finding[] = [...exam.findings];
  const warnings = [...exam.warnings];
  const leaf = exam.signerCert;

  for (const cert of exam.chain) {
    const who = cert === leaf ? "the signer's certificate" : cert.subjectDn;
    if (bestTime > cert.notAfter) {
      findings.push(
        proof && cert === leaf
          ? failed('EXPIRED', `${who} had expired before the time-stamped signing time`)
          : indeterminate('OUT_OF_BOUNDS_NO_POE', `${who} had expired at the signing time`),
      );
    } else if (bestTime < cert.notBefore) {
      findings.push(failed('NOT_YET_VALID', `${who} was not yet valid at the signing time`));
    }
  }
  if (leaf && !proof && now > leaf.notAfter && bestTime <= leaf.notAfter) {
    // ETSI EN 319 102-1 §5.6.2.4: past the certificate's expiry only a proof of existence before it
    // (a usable time-stamp) keeps the signature valid; the signer's own claim of time is not one (#11).
    findings.push(indeterminate('OUT_OF_BOUNDS_NO_POE', "the signer's certificate has expired since, and no usable time-stamp proves the signature existed before"));
  }

  let certificateStatus: CertificateStatus = 'unknown';
  if (leaf && record) {
    certificateStatus = record.status === 'active' ? 'good' : record.status;
    const finding = revocationFinding(record, proof);
    if (finding) findings.push(finding);
    else if (record.status !== 'active') warnings.push(`the certificate was ${record.status} after the time-stamped signing time`);
  } else if (leaf) {
    const why = options.unavailable?.length ? `: ${options.unavailable.join('; ')}` : '';
    findings.push(indeterminate('TRY_LATER', `no revocation information about the signer's certificate could be obtained${why}`));
  }

  const verdict = worst(findings);
  const timestamp = exam.timestamp;
  const signingTime = exam.claimedTime ?? timestamp?.genTime;
  return {
    indication: verdict?.indication ?? 'TOTAL_PASSED',
    ...(verdict ? { subIndication: verdict.subIndication } : {}),
    format: options.format,
    signer: leaf ? signerOf(leaf) : signerOfSid(exam),
    ...(signingTime ? { signingTime: signingTime.toISOString() } : {}),
    ...(timestamp
      ? { timestamp: { time: timestamp.genTime.toISOString(), ...(timestamp.tsa ? { tsa: timestamp.tsa } : {}), valid: timestamp.valid } }
      : {}),
    certificateStatus,
    revocationSource: leaf && record ? (options.source ?? 'kyso') : 'none',
    ...(record?.revokedAt ? { revokedAt: record.revokedAt.toISOString() } : {}),
    ...(record?.revocationReason ? { revocationReason: record.revocationReason } : {}),
    chain: exam.chain.map((c) => c.subjectDn),
    ...(exam.pdf ?? {}),
    reasons: [...findings].sort((a, b) => rank(b) - rank(a)).map((f) => f.message),
    warnings,
  };
}

const rank = (f: Finding): number => (f.indication === 'TOTAL_FAILED' ? 2 : 1);

/**
 * Revoked or suspended signer certificates (ETSI EN 319 102-1 Table 5): REVOKED only when a
 * time-stamp proves the signature was made after the revocation; without such proof the signer's
 * claimed time proves nothing, so REVOKED_NO_POE. A suspension (certificateHold) may still be
 * lifted: TRY_LATER.
 */
function revocationFinding(record: RevocationRecord, proof: Date | undefined): Finding | undefined {
  if (record.status === 'revoked') {
    const at = record.revokedAt ?? undefined;
    if (proof && at && proof < at) return undefined;
    return proof
      ? failed('REVOKED', 'the certificate was revoked before the time-stamped signing time')
      : indeterminate('REVOKED_NO_POE', 'the certificate is revoked and nothing proves the signature was made before');
  }
  if (record.status === 'suspended') {
    const at = record.suspendedAt ?? undefined;
    if (proof && at && proof < at) return undefined;
    return indeterminate('TRY_LATER', 'the certificate is suspended');
  }
  return undefined;
}

/** The signer identity reported for a certificate: UIDs as an array, since a subject may carry several. */
function signerOf(cert: CertificateFacts): SignatureReport['signer'] {
  return { subject: cert.subjectDn, uid: [...cert.uids], serial: cert.serial, issuer: cert.issuerDn };
}

function signerOfSid(exam: Examination): SignatureReport['signer'] {
  if (exam.sid.kind === 'keyId') return { subject: '', uid: [], serial: '', issuer: '' };
  let issuer = '';
  try {
    issuer = formatName(readNameAttributes(readBer(exam.sid.issuerDer)));
  } catch {
    // an unreadable issuer name is already a reason the signer's certificate was not found
  }
  return { subject: '', uid: [], serial: serialHex(exam.sid.serialBytes), issuer };
}
