import { createHash } from 'node:crypto';
import { parseSignedData, type SignedData } from './cms.js';
import type { SignatureReport } from './conclude.js';
import { examineSignedData, imprintMatches, readTstInfo, type Examination, type VerificationContext } from './examine.js';
import { failed, indeterminate, worst, type Finding, type Indication, type SubIndication } from './findings.js';
import { revisionEnd, type PdfSignature } from './pdf.js';
import type { PdfStructure } from './pdf-structure.js';

/** One signature found in the input, examined but not yet judged against kyso's records. */
export interface ExaminedSignature {
  /** `CMS`, `PAdES` (ETSI.CAdES.detached), `PDF-PKCS7` (adbe.pkcs7.*), `PDF-DocTimeStamp` (ETSI.RFC3161). */
  readonly format: string;
  readonly exam: Examination;
}

/** The signatures of a document, or why none could be examined. */
export interface DocumentExamination {
  readonly signatures: ExaminedSignature[];
  /** A problem with the input as a whole (no signature, unreadable CMS). */
  readonly problem?: Finding;
}

/**
 * Examines a CMS signature: detached over `document`, or enveloping (its encapsulated content is
 * the document; when a document is given too, the signature is checked against the document).
 */
export function examineCms(signature: Buffer, document: Buffer | undefined, context: VerificationContext): DocumentExamination {
  let signedData: SignedData;
  try {
    signedData = parseSignedData(signature);
  } catch (err) {
    return { signatures: [], problem: failed('FORMAT_FAILURE', `the signature is not a CMS SignedData (${(err as Error).message})`) };
  }
  if (signedData.signers.length === 0) {
    return { signatures: [], problem: failed('FORMAT_FAILURE', 'the CMS SignedData has no signer') };
  }
  const exams = examineSignedData(signedData, document ?? signedData.eContent, context);
  return { signatures: exams.map((exam) => ({ format: 'CMS', exam })) };
}

/**
 * Examines the signatures of a PDF (ISO 32000-1 §12.8, ETSI EN 319 142-1), as `extractPdfSignatures`
 * found them. With the PDF's `structure` each signature also gets its field name, its PAdES level
 * and what changed after it; and time-stamps whose TSA certificate has expired since prove their
 * time only when a later document time-stamp covers them — the last one when the DSS holds the
 * TSA's validation data.
 */
export function examinePdf(found: readonly PdfSignature[], context: VerificationContext, structure?: PdfStructure): DocumentExamination {
  if (found.length === 0) return { signatures: [], problem: failed('FORMAT_FAILURE', 'the PDF holds no signature') };
  const examined = found.map((signature) => ({ signature, exams: examinePdfSignature(signature, context) }));
  const dssHasRevocationData = Boolean(structure?.dss && structure.dss.crlCount + structure.dss.ocspCount > 0);
  // Document time-stamps, last first: each proves its time while its TSA is valid, or under a later one.
  const stamps = examined.filter((e) => e.exams[0]?.format === 'PDF-DocTimeStamp').sort((x, y) => revisionEnd(y.signature) - revisionEnd(x.signature));
  let laterStamp = false;
  for (const { exams } of stamps) {
    const exam = exams[0]!.exam;
    const expired = exam.signerCert && exam.signerCert.notAfter < context.now;
    if (expired && !laterStamp && !dssHasRevocationData) delete exam.proofOfExistence;
    if (exam.proofOfExistence && !exam.findings.length) laterStamp = true;
  }
  const usableStampAfter = (offset: number) =>
    stamps.some(({ signature, exams }) => revisionEnd(signature) > offset && exams[0]!.exam.proofOfExistence && !exams[0]!.exam.findings.length);
  for (const { signature, exams } of examined) {
    for (const { format, exam } of exams) {
      if (exam.timestamp?.valid && !exam.proofOfExistence && usableStampAfter(revisionEnd(signature))) exam.proofOfExistence = exam.timestamp.genTime;
      const rangeKey = signature.byteRange.join(' ');
      const level =
        format !== 'PAdES'
          ? undefined
          : usableStampAfter(revisionEnd(signature)) && structure?.dss
            ? 'B-LTA'
            : structure?.dss && signature.vriKey && structure.dss.vriKeys.has(signature.vriKey)
              ? 'B-LT'
              : exam.timestamp
                ? 'B-T'
                : 'B-B';
      const fieldName = structure?.fieldNames.get(rangeKey);
      const modifiedAfter = structure?.modifiedAfter.get(revisionEnd(signature));
      exam.pdf = {
        coversWholeDocument: signature.coversWholeDocument,
        ...(fieldName ? { fieldName } : {}),
        ...(level ? { level } : {}),
        ...(modifiedAfter ? { modifiedAfter } : {}),
      };
      if (modifiedAfter === 'content') {
        exam.findings.push(indeterminate('SIG_CONSTRAINTS_FAILURE', 'the pages were changed by an incremental update after this signature'));
      } else if (structure && !modifiedAfter) {
        // Not compared (analysePdf compares only the latest revisions): a change may hide here, so this cannot pass.
        exam.findings.push(indeterminate('SIG_CONSTRAINTS_FAILURE', 'kyso compares only the latest signed revisions with the final document: what changed after this signature was not analysed'));
      } else if (modifiedAfter === 'annotations') {
        exam.warnings.push('annotations were added by an incremental update after this signature');
      } else if (!signature.coversWholeDocument && !modifiedAfter) {
        exam.warnings.push('the document was changed by an incremental update after this signature');
      }
    }
  }
  return { signatures: examined.flatMap((e) => e.exams) };
}

function examinePdfSignature(signature: PdfSignature, context: VerificationContext): ExaminedSignature[] {
  const { subFilter } = signature;
  const format = subFilter === 'ETSI.CAdES.detached' ? 'PAdES' : subFilter === 'ETSI.RFC3161' ? 'PDF-DocTimeStamp' : 'PDF-PKCS7';
  const unusable = (message: string): ExaminedSignature[] => [{ format, exam: unreadable(failed('FORMAT_FAILURE', message)) }];
  if (signature.problem || !signature.contents) return unusable(signature.problem ?? 'no /Contents');
  let signedData: SignedData;
  try {
    signedData = parseSignedData(signature.contents);
  } catch (err) {
    return unusable(`/Contents is not a CMS SignedData (${(err as Error).message})`);
  }
  let exams: Examination[];
  if (subFilter === 'adbe.pkcs7.detached' || subFilter === 'ETSI.CAdES.detached') {
    exams = examineSignedData(signedData, signature.signedBytes, context);
  } else if (subFilter === 'adbe.pkcs7.sha1') {
    // The CMS signs the SHA-1 digest of the ByteRange, carried as its encapsulated content (ISO 32000-1 §12.8.3.3.1).
    exams = examineSignedData(signedData, signedData.eContent, context);
    const digest = createHash('sha1').update(signature.signedBytes).digest();
    if (!signedData.eContent?.equals(digest)) {
      for (const exam of exams) exam.findings.push(failed('HASH_FAILURE', 'the document does not match the signed SHA-1 digest'));
    }
    for (const exam of exams) exam.findings.push(indeterminate('CRYPTO_CONSTRAINTS_FAILURE', 'SHA-1 is no longer accepted for signatures'));
  } else if (subFilter === 'ETSI.RFC3161') {
    exams = examineDocumentTimestamp(signedData, signature.signedBytes, context);
  } else {
    return unusable(`unsupported signature SubFilter /${subFilter || '(none)'}`);
  }
  for (const exam of exams) {
    if (format === 'PAdES' && exam.claimedTime) exam.warnings.push('PAdES signatures should not carry a CMS signingTime (ETSI EN 319 142-1 §6.3)');
    exam.claimedTime ??= signature.signingTime;
  }
  return exams.map((exam) => ({ format, exam }));
}

/** A document time-stamp (PAdES-B-LTA, ETSI EN 319 142-1 §5.4): its imprint covers the ByteRange and it proves its own time. */
function examineDocumentTimestamp(signedData: SignedData, signedBytes: Buffer, context: VerificationContext): Examination[] {
  let info;
  try {
    info = readTstInfo(signedData);
  } catch (err) {
    return [unreadable(failed('FORMAT_FAILURE', `not a time-stamp token (${(err as Error).message})`))];
  }
  const exams = examineSignedData(signedData, signedData.eContent, context, { role: 'timestamp' });
  for (const exam of exams) {
    if (!imprintMatches(info, signedBytes)) exam.findings.push(failed('HASH_FAILURE', 'the document does not match the time-stamped digest'));
    exam.claimedTime = info.genTime;
    exam.proofOfExistence = info.genTime; // examinePdf withdraws it when the TSA has expired since and nothing covers it
  }
  return exams;
}

/** An examination for a signature whose bytes could not be read at all. */
function unreadable(finding: Finding): Examination {
  return { sid: { kind: 'keyId', keyId: Buffer.alloc(0) }, chain: [], findings: [finding], warnings: [], revocationData: { crls: [], ocspResponses: [] } };
}

/** The overall verdict (api.md "Verification"): the worst signature's, or the input's own problem. */
export interface VerificationReport {
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly detail?: string;
  readonly signatures: SignatureReport[];
}

/** Combines per-signature reports into the overall report. */
export function overallReport(signatures: SignatureReport[], problem?: Finding): VerificationReport {
  if (problem) return { indication: problem.indication, subIndication: problem.subIndication, detail: problem.message, signatures };
  const verdict = worst(signatures);
  return {
    indication: verdict?.indication ?? 'TOTAL_FAILED',
    ...(verdict?.subIndication ? { subIndication: verdict.subIndication } : {}),
    signatures,
  };
}
