import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import { certificatesByIssuerSerial, trustAnchorCertificates, type StoredCertificateStatus } from '../db/verification-repo.js';
import { BadRequest, Refused } from '../errors.js';
import { serialHex } from '../pki/certificate.js';
import { derFromPemOrDer } from '../pki/pem.js';
import { certificateFacts, type CertificateFacts } from '../pki/verify/certificate-facts.js';
import { conclude } from '../pki/verify/conclude.js';
import {
  examineCms,
  examinePdf,
  overallReport,
  type DocumentExamination,
  type VerificationReport,
} from '../pki/verify/document.js';
import type { VerificationContext } from '../pki/verify/examine.js';
import { isPdf } from '../pki/verify/pdf.js';
import { StatusChanges } from '../revocation/status.js';

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
  /** Moves with every issuance, revocation, suspension and resumption (read per call, shared by concurrent calls). */
  private readonly changes: StatusChanges;
  private statusVersion = -1;
  /** Status rows by `issuerNameHash/serial` (null: kyso has none), valid while no status changes. */
  private readonly statuses = new Map<string, { row: StoredCertificateStatus | null; at: number }>();
  private anchors: CertificateFacts[] = [];
  private anchorsLoadedAt = -Infinity;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
  ) {
    this.changes = new StatusChanges(knex);
    authorities.onStart(() => this.changes.start());
  }

  /** The verification report for `input`; a bad signature is a report, not an error. */
  async verify(input: VerificationInput): Promise<VerificationReport> {
    const document = input.document?.length ? input.document : undefined;
    const signature = input.signature?.length ? input.signature : undefined;
    if (!document && !signature) throw new BadRequest('send a document, a signature, or both');
    const now = this.clock.now();
    await this.refresh(now.getTime());
    let context = this.context(now);
    let examined = this.examine(document, signature, context);

    // Trust anchors are cached; one added since shows here, when a chain is missing.
    const noChain = examined.signatures.some(({ exam }) => exam.findings.some((f) => f.subIndication === 'NO_CERTIFICATE_CHAIN_FOUND'));
    if (noChain && (await this.reloadAnchors(now.getTime()))) {
      context = this.context(now);
      examined = this.examine(document, signature, context);
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
        examined = this.examine(document, signature, context);
      }
    }

    const records = await this.statusRecords(examined, context.now.getTime());
    const reports = examined.signatures.map(({ format, exam }) => {
      const row = exam.signerCert && records.get(exam.signerCert.fingerprint);
      return conclude(exam, {
        now: context.now,
        format,
        ...(row
          ? { record: { status: row.status, revokedAt: row.revoked_at, revocationReason: row.revocation_reason, suspendedAt: row.suspended_at } }
          : {}),
      });
    });
    return overallReport(reports, examined.problem);
  }

  private examine(document: Buffer | undefined, signature: Buffer | undefined, context: VerificationContext): DocumentExamination {
    if (signature) {
      const der = derFromPemOrDer(signature, ['CMS', 'PKCS7']);
      if (!der) throw new BadRequest('the signature is neither DER nor PEM');
      return examineCms(der, document, context);
    }
    if (isPdf(document!)) return examinePdf(document!, context);
    // An enveloping CMS sent alone is its own document.
    if (document![0] === 0x30) return examineCms(document!, undefined, context);
    throw new Refused('the document alone is neither a signed PDF nor a CMS signature: send its detached signature too');
  }

  /** Forgets status records if any status changed, and re-reads trust anchors when due. */
  private async refresh(now: number): Promise<void> {
    const version = await this.changes.latest();
    if (version !== this.statusVersion) {
      this.statuses.clear();
      this.statusVersion = version;
    }
    if (now - this.anchorsLoadedAt >= ANCHORS_REUSE_MS) await this.reloadAnchors(now);
  }

  /** Built-in root and issuing CAs and trust anchors are trusted; kyso's TSA and OCSP certificates are known. */
  private context(now: Date): VerificationContext {
    const authorities = this.authorities.all();
    const isCa = (kind: string) => kind === 'root' || kind === 'issuing';
    return {
      trusted: [...authorities.filter((a) => isCa(a.kind)).map((a) => certificateFacts(a.certificateDer)), ...this.anchors],
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
   * Kept while no status changes (and at most STATUS_REUSE_MS, in case a change committed out of
   * sequence order), so a revocation shows in the next verification.
   */
  private async statusRecords(examined: DocumentExamination, now: number): Promise<Map<string, StoredCertificateStatus>> {
    const keys = new Map<string, { issuerNameHash: string; serial: string }>();
    for (const { exam } of examined.signatures) {
      if (!exam.signerCert) continue;
      const key = { issuerNameHash: sha256Hex(exam.signerCert.issuerDer), serial: exam.signerCert.serial };
      keys.set(`${key.issuerNameHash}/${key.serial}`, key);
    }
    const stale = [...keys].filter(([id]) => !(now - (this.statuses.get(id)?.at ?? -Infinity) < STATUS_REUSE_MS));
    if (stale.length) {
      const version = this.statusVersion;
      const rows = await certificatesByIssuerSerial(this.knex, stale.map(([, key]) => key));
      for (const [id] of stale) {
        const row = rows.find((r) => `${r.issuer_name_hash}/${r.serial}` === id) ?? null;
        if (version === this.statusVersion) this.statuses.set(id, { row, at: now });
      }
      if (this.statuses.size > MAX_CACHED_STATUSES) this.statuses.clear();
      return byFingerprint(rows);
    }
    return byFingerprint([...keys.keys()].flatMap((id) => this.statuses.get(id)?.row ?? []));
  }
}

const STATUS_REUSE_MS = 10_000;
/**
 * Trust anchors are re-read at least this often (api.md has no way to remove one; a row deleted by
 * hand stops being trusted within this time), and at once when a signature finds no chain.
 */
const ANCHORS_REUSE_MS = 10_000;
const MAX_CACHED_STATUSES = 100_000;

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
