import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import { certificatesByIssuerSerial, trustAnchorCertificates, type StoredCertificateStatus } from '../db/verification-repo.js';
import { BadRequest, Refused } from '../errors.js';
import { serialHex } from '../pki/certificate.js';
import { derFromPemOrDer } from '../pki/pem.js';
import { certificateFacts, type CertificateFacts } from '../pki/verify/certificate-facts.js';
import { conclude, type RevocationRecord } from '../pki/verify/conclude.js';
import { embeddedStatus, type RevocationEvidence } from '../pki/verify/revocation-data.js';
import {
  examineCms,
  examinePdf,
  overallReport,
  type DocumentExamination,
  type VerificationReport,
} from '../pki/verify/document.js';
import type { Examination, VerificationContext } from '../pki/verify/examine.js';
import { extractPdfSignatures, isPdf, revisionEnd, type PdfSignature } from '../pki/verify/pdf.js';
import type { PdfStructure } from '../pki/verify/pdf-structure.js';
import type { StatusChanges } from '../revocation/status.js';
import type { RevocationFetcher } from './revocation-fetcher.js';

/** What a caller sends to be verified: a CMS signature, the document, or both. */
export interface VerificationInput {
  readonly document?: Buffer;
  /** CMS SignedData, DER (or PEM: `CMS`/`PKCS7`). */
  readonly signature?: Buffer;
}

/**
 * Verifies CMS and PDF signatures against kyso's built-in CAs and trust anchors, and judges the
 * signer's certificate by kyso's own status records (api.md "Verification").
 */
export class VerificationService {
  private statusGeneration = -1;
  /** Status rows by `issuerNameHash/serial`, valid while no status changes. */
  private readonly statuses = new Map<string, StoredCertificateStatus>();
  private anchors: CertificateFacts[] = [];
  private anchorsLoadedAt = -Infinity;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly changes: StatusChanges,
    private readonly fetcher: RevocationFetcher,
  ) {}

  /** The verification report for `input`; a bad signature is a report, not an error. */
  async verify(input: VerificationInput): Promise<VerificationReport> {
    const document = input.document?.length ? input.document : undefined;
    const signature = input.signature?.length ? input.signature : undefined;
    if (!document && !signature) throw new BadRequest('send a document, a signature, or both');
    const now = this.clock.now();
    this.refresh();
    if (now.getTime() - this.anchorsLoadedAt >= ANCHORS_REUSE_MS) await this.reloadAnchors(now.getTime());
    let context = this.context(now);
    const pdf = document && !signature && isPdf(document) ? await readPdf(document) : undefined;
    let examined = this.examine(document, signature, context, pdf);

    // Trust anchors are cached; one added since shows here, when a chain is missing.
    const noChain = examined.signatures.some(({ exam }) => exam.findings.some((f) => f.subIndication === 'NO_CERTIFICATE_CHAIN_FOUND'));
    if (noChain && (await this.reloadAnchors(now.getTime()))) {
      context = this.context(now);
      examined = this.examine(document, signature, context, pdf);
    }

    // A CMS may leave out the signer's certificate (openssl cms -nocerts): kyso may hold it.
    const missing = examined.signatures.flatMap(({ exam }) =>
      !exam.signerCert && exam.sid.kind === 'issuerAndSerial'
        ? [{ issuerNameHash: sha256Hex(exam.sid.issuerDer), serial: serialHex(exam.sid.serialBytes) }]
        : [],
    );
    if (missing.length) {
      const stored = readable((await certificatesByIssuerSerial(this.knex, missing)).map((row) => row.der));
      if (stored.length) {
        context = { ...context, known: [...context.known, ...stored] };
        examined = this.examine(document, signature, context, pdf);
      }
    }

    const records = await this.statusRecords(examined);
    const own = {
      cas: new Set(context.trusted.slice(0, context.builtIn).map((c) => c.fingerprint)),
      services: new Set(this.authorities.all().filter((a) => a.kind === 'tsa' || a.kind === 'ocsp').map((a) => certificateFacts(a.certificateDer).fingerprint)),
    };
    const reports = await Promise.all(
      examined.signatures.map(async ({ format, exam }) =>
        conclude(exam, { now: context.now, format, ...(await this.revocation(exam, records, own, context.now)) }),
      ),
    );
    return overallReport(reports, examined.problem);
  }

  /**
   * The signer certificate's revocation status and where it came from: kyso's records for
   * certificates kyso's CAs issued (and any status an officer recorded on an imported one); for
   * other PKIs' certificates that chain to a trust anchor, their OCSP responder or CRL, else the
   * revocation data carried in the signature, valid at the signing time.
   */
  private async revocation(
    exam: Examination,
    records: Map<string, StoredCertificateStatus>,
    own: { cas: ReadonlySet<string>; services: ReadonlySet<string> },
    now: Date,
  ): Promise<Pick<Parameters<typeof conclude>[1], 'record' | 'source' | 'unavailable'>> {
    const leaf = exam.signerCert;
    if (!leaf) return {};
    const row = records.get(leaf.fingerprint);
    const kysoRecord = row && { status: row.status, revokedAt: row.revoked_at, revocationReason: row.revocation_reason, suspendedAt: row.suspended_at };
    const issuer = exam.chain[1];
    if (!issuer || own.cas.has(issuer.fingerprint)) {
      // kyso's TSA and OCSP certificates are never revoked (its responder answers good for them too).
      if (!kysoRecord && own.services.has(leaf.fingerprint)) return { record: { status: 'active' }, source: 'kyso' };
      return kysoRecord ? { record: kysoRecord, source: 'kyso' } : { unavailable: ['kyso holds no record of this certificate'] };
    }
    if (kysoRecord && kysoRecord.status !== 'active') return { record: kysoRecord, source: 'kyso' };
    if (exam.findings.some((f) => f.subIndication === 'NO_CERTIFICATE_CHAIN_FOUND')) return { unavailable: ['the certificate is not trusted'] };
    const fetched = await this.fetcher.status(leaf, issuer);
    if (fetched.source !== 'none') return { record: evidenceRecord(fetched.evidence), source: fetched.source };
    const signedAt = exam.proofOfExistence ?? exam.claimedTime ?? now;
    const embedded = embeddedStatus(exam.revocationData, leaf, issuer, now, signedAt);
    if (embedded) return { record: evidenceRecord(embedded), source: 'embedded' };
    return { unavailable: fetched.problems };
  }

  private examine(document: Buffer | undefined, signature: Buffer | undefined, context: VerificationContext, pdf?: ReadPdf): DocumentExamination {
    if (signature) {
      const der = derFromPemOrDer(signature, ['CMS', 'PKCS7']);
      if (!der) throw new BadRequest('the signature is neither DER nor PEM');
      return examineCms(der, document, context);
    }
    if (pdf) {
      const { dssCertificates: dss } = pdf;
      return examinePdf(pdf.signatures, dss.length ? { ...context, known: [...context.known, ...dss] } : context, pdf.structure);
    }
    // An enveloping CMS sent alone is its own document.
    if (document![0] === 0x30) return examineCms(document!, undefined, context);
    throw new Refused('the document alone is neither a signed PDF nor a CMS signature: send its detached signature too');
  }

  /** Forgets status records if any status changed, or if changes cannot be relied on to be heard now. */
  private refresh(): void {
    const generation = this.changes.generation;
    if (generation !== this.statusGeneration || !this.changes.trusted()) {
      this.statuses.clear();
      this.statusGeneration = generation;
    }
  }

  /**
   * Built-in root and issuing CAs (the first `builtIn` trusted certificates) and trust anchors are
   * trusted; kyso's TSA and OCSP certificates are known.
   */
  private context(now: Date): VerificationContext & { builtIn: number } {
    const authorities = this.authorities.all();
    const isCa = (kind: string) => kind === 'root' || kind === 'issuing';
    const builtIn = authorities.filter((a) => isCa(a.kind)).map((a) => certificateFacts(a.certificateDer));
    return {
      trusted: [...builtIn, ...this.anchors],
      builtIn: builtIn.length,
      known: authorities.filter((a) => !isCa(a.kind)).map((a) => certificateFacts(a.certificateDer)),
      now,
    };
  }

  /** Reads the trust anchors again; true when the set changed. */
  private async reloadAnchors(now: number): Promise<boolean> {
    const anchors = readable(await trustAnchorCertificates(this.knex));
    this.anchorsLoadedAt = now;
    const same = anchors.length === this.anchors.length && anchors.every((a, i) => a.fingerprint === this.anchors[i]!.fingerprint);
    this.anchors = anchors;
    return !same;
  }

  /**
   * kyso's records of the signers' certificates, by fingerprint, looked up by issuer and serial.
   * Kept while no status changes, so a revocation shows in the next verification; a certificate
   * kyso has no record of is asked again each time (it may be issued or imported meanwhile).
   */
  private async statusRecords(examined: DocumentExamination): Promise<Map<string, StoredCertificateStatus>> {
    const keys = new Map<string, { issuerNameHash: string; serial: string }>();
    for (const { exam } of examined.signatures) {
      if (!exam.signerCert) continue;
      const key = { issuerNameHash: sha256Hex(exam.signerCert.issuerDer), serial: exam.signerCert.serial };
      keys.set(`${key.issuerNameHash}/${key.serial}`, key);
    }
    const stale = [...keys].filter(([id]) => !this.statuses.has(id));
    // A signature with several signers may mix cached and newly read certificates: both count
    // (read now, before the query below may clear the cache).
    const cached = [...keys.keys()].flatMap((id) => this.statuses.get(id) ?? []);
    if (stale.length) {
      const generation = this.statusGeneration;
      const rows = await certificatesByIssuerSerial(this.knex, stale.map(([, key]) => key));
      if (generation === this.changes.generation && this.changes.trusted()) {
        if (this.statuses.size + rows.length > MAX_CACHED_STATUSES) this.statuses.clear();
        for (const row of rows) this.statuses.set(`${row.issuer_name_hash}/${row.serial}`, row);
      }
      return byFingerprint([...cached, ...rows]);
    }
    return byFingerprint(cached);
  }
}

/** A PDF sent alone, read once for every examination of it: its signatures, and its fields, DSS and revisions (pdf-lib). */
interface ReadPdf {
  readonly signatures: PdfSignature[];
  readonly structure?: PdfStructure;
  /** Certificates in the DSS (PAdES-B-LT): they help build chains, like those inside the signatures. */
  readonly dssCertificates: CertificateFacts[];
}

async function readPdf(pdf: Buffer): Promise<ReadPdf> {
  const signatures = extractPdfSignatures(pdf);
  if (signatures.length === 0) return { signatures, dssCertificates: [] };
  // pdf-lib loads with the first signed PDF, not at start-up (issue #12).
  const { analysePdf } = await import('../pki/verify/pdf-structure.js');
  const structure = await analysePdf(pdf, signatures.map(revisionEnd));
  return { signatures, ...(structure ? { structure } : {}), dssCertificates: readable(structure?.dss?.certificates ?? []) };
}

/**
 * Trust anchors are re-read at least this often (api.md has no way to remove one; a row deleted by
 * hand stops being trusted within this time), and at once when a signature finds no chain.
 */
const ANCHORS_REUSE_MS = 10_000;
const MAX_CACHED_STATUSES = 100_000;

/** Revocation evidence in the form `conclude` judges; a hold is a suspension from its date. */
function evidenceRecord(evidence: RevocationEvidence): RevocationRecord {
  if (evidence.status === 'suspended') return { status: 'suspended', suspendedAt: evidence.revokedAt ?? null };
  if (evidence.status === 'revoked') return { status: 'revoked', revokedAt: evidence.revokedAt ?? null, revocationReason: evidence.reason ?? null };
  return { status: 'active' };
}

const byFingerprint = (rows: StoredCertificateStatus[]) => new Map(rows.map((row) => [row.fingerprint, row]));

const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The certificates among `ders` that can be read (a broken stored row must not break verification). */
function readable(ders: Buffer[]): CertificateFacts[] {
  return ders.flatMap((der) => {
    try {
      return [certificateFacts(der)];
    } catch {
      return [];
    }
  });
}
