import { serialHex } from '../certificate.js';
import { readNameAttributes } from '../der-reader.js';
import { formatName } from '../name.js';
import { readTlv } from './der-reader.js';
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

/** Status of the signer's certificate as kyso's records tell it. */
export type CertificateStatus = 'good' | 'revoked' | 'suspended' | 'unknown';

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
  readonly revokedAt?: string;
  readonly revocationReason?: string;
  /** Subjects from the signer's certificate up to the trusted one. */
  readonly chain: string[];
  /** Why the indication is not TOTAL_PASSED, most serious first. */
  readonly reasons: string[];
  readonly warnings: string[];
}

/**
 * Judges one examined signature at its best signature time (ETSI EN 319 102-1 §5.6.2.1: a
 * time-stamp's genTime when one proves it, else the claimed signing time, else now): validity of
 * every certificate of the chain at that time, then the signer certificate's status in kyso's records.
 */
export function conclude(
  exam: Examination,
  options: { now: Date; format: string; record?: RevocationRecord },
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
    warnings.push("the signer's certificate has expired since; the signing time is claimed by the signer, not proven by a time-stamp");
  }

  let certificateStatus: CertificateStatus = 'unknown';
  if (leaf && record) {
    certificateStatus = record.status === 'active' ? 'good' : record.status;
    const finding = revocationFinding(record, proof);
    if (finding) findings.push(finding);
    else if (record.status !== 'active') warnings.push(`the certificate was ${record.status} after the time-stamped signing time`);
  } else if (leaf) {
    warnings.push('kyso holds no status record for this certificate: revocation was not checked');
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
    ...(record?.revokedAt ? { revokedAt: record.revokedAt.toISOString() } : {}),
    ...(record?.revocationReason ? { revocationReason: record.revocationReason } : {}),
    chain: exam.chain.map((c) => c.subjectDn),
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
    issuer = formatName(readNameAttributes(exam.sid.issuerDer, readTlv(exam.sid.issuerDer)));
  } catch {
    // an unreadable issuer name is already a reason the signer's certificate was not found
  }
  return { subject: '', uid: [], serial: serialHex(exam.sid.serialBytes), issuer };
}
