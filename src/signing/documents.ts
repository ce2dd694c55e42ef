import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import { Refused } from '../errors.js';
import { attribute, CmsSignatureBuilder, CMS_OID, type UnsignedAttributes } from '../pki/cms.js';
import type { PreparedPdfSignature, SignaturePlacement, ValidationData } from '../pki/pades.js';
import type { SignatureAppearance } from '../pki/pdf-appearance.js';
import { imprintRequest } from '../pki/tsp.js';
import type { TimeStampAuthority } from '../tsa/tsa.js';
import type { SigningAccountService } from './accounts.js';
import { appearanceFont } from './font.js';
import type { ValidationDataCollector } from './validation-data.js';

/** pdf-lib and fontkit load with the first PDF, not at start-up (~0.8 s of CPU, issue #12). */
const pades = () => import('../pki/pades.js');

/** Most hashes one sign-hash call may carry (api.md). */
export const MAX_HASHES = 1000;

/**
 * Bytes reserved in a PDF's /Contents for the CMS when its size is not known yet: the signer's
 * chain (~2–3 KB), the signature and attributes, and a time-stamp token with its own chain (~3 KB)
 * — with room to spare.
 */
const PADES_CONTENTS_SIZE = 16_384;
/**
 * Room a sign job leaves beyond the largest CMS it has made: within a job only the DER lengths of
 * the ECDSA signatures and of the time-stamp token (serial, fractional seconds) vary, by a few
 * bytes. A hole sized to the CMS spares ~27 KB of hex per document, written, hashed and zipped.
 */
const JOB_CONTENTS_MARGIN = 256;
/** A document time-stamp token: the TSA's signature and its chain (~3 KB). */
const DOCUMENT_TIMESTAMP_SIZE = 8_192;
/**
 * How long a batch (B-LT, B-LTA) reuses the validation data it collected: the signer and the TSA
 * are the same for every document. Well inside the hour an OCSP answer is valid (OCSP_VALIDITY_MS;
 * kyso renews one after half of it), so a long job's last documents still carry current answers.
 */
const VALIDATION_DATA_REUSE_MS = 10 * 60_000;

/** A document to sign with an account. */
export interface SignDocumentInput {
  pin: string;
  document: Buffer;
  format: 'cms' | 'pades';
  /** CMS only: leave the content out of the SignedData (default) or encapsulate it. */
  detached?: boolean;
  /** Add a signature time-stamp from kyso's TSA (CAdES-B-T / PAdES-B-T). */
  timestamp?: boolean;
  /** PAdES only: how the signature shows and what it carries. */
  pades?: PadesOptions;
}

/** PAdES levels (ETSI EN 319 142-1 §5): B-T time-stamps the signature, B-LT adds validation data, B-LTA a document time-stamp. */
export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

/** What a PDF signature looks like and carries (api.md, "Visible PDF signatures"). */
export interface PadesOptions {
  visible?: SignaturePlacement;
  reason?: string;
  location?: string;
  level?: PadesLevel;
  /** Certify the document: DocMDP P=2 (only the first signature). */
  certify?: boolean;
}

/**
 * Signs documents and hash batches with a signing account: CAdES-B-B CMS (detached or
 * enveloping), PAdES-B-B PDF, and sign-hash (one detached CMS per hash, one PIN check per call),
 * optionally time-stamped (B-T) by kyso's TSA.
 */
export class DocumentSigningService {
  constructor(
    private readonly accounts: SigningAccountService,
    private readonly tsa: TimeStampAuthority,
    private readonly clock: Clock,
    private readonly validation: ValidationDataCollector,
  ) {}

  /** Signs one document; returns the CMS (`format: "cms"`) or the signed PDF (`format: "pades"`). */
  async sign(actor: Actor, accountId: string, input: SignDocumentInput): Promise<{ signature?: Buffer; document?: Buffer }> {
    const detached = input.detached ?? true;
    const event = {
      action: 'signing-account.sign',
      details: {
        format: input.format,
        ...(input.format === 'cms' ? { detached } : {}),
        timestamp: input.timestamp ?? false,
        ...(input.format === 'pades' ? { level: input.pades?.level ?? (input.timestamp ? 'B-T' : 'B-B'), visible: Boolean(input.pades?.visible) } : {}),
        documentSha256: createHash('sha256').update(input.document).digest('hex'),
      },
    };
    if (input.format === 'cms') {
      const unlocked = await this.accounts.openKey(actor, accountId, input.pin, event);
      const builder = new CmsSignatureBuilder(unlocked.signer, unlocked.certificates);
      const digest = createHash(unlocked.signer.algorithm.hash).update(input.document).digest();
      const signature = await builder.sign(
        { digest, signingTime: this.clock.now(), content: detached ? undefined : input.document },
        input.timestamp ? this.timestamp() : undefined,
      );
      return { signature };
    }
    // The PDF is read before the PIN is tried: a bad document costs no attempt.
    const options = input.pades ?? {};
    const appearance = options.visible ? await this.appearance(actor, accountId, options) : undefined;
    const prepared = await this.preparePdf(input.document, options, appearance, PADES_CONTENTS_SIZE);
    const unlocked = await this.accounts.openKey(actor, accountId, input.pin, event);
    const builder = new CmsSignatureBuilder(unlocked.signer, unlocked.certificates);
    const level = options.level ?? (input.timestamp ? 'B-T' : 'B-B');
    const validationData = () => this.validation.collect(unlocked.certificates[0]!);
    return { document: await this.completePdf(prepared, await this.padesCms(prepared, builder, level), level, validationData) };
  }

  /**
   * Opens the account's key once for a batch of PDFs (sign-jobs): the PIN is checked and `event`
   * audited here, the appearance is built once, and the returned function signs one PDF at a time
   * with the key held in memory only as long as the caller keeps the function. The first document
   * gets the default /Contents hole; the others one sized to the largest CMS so far, and a CMS that
   * outgrows it is made again in a default hole. B-LT and B-LTA collect the validation data with
   * the first document and reuse it for VALIDATION_DATA_REUSE_MS.
   */
  async openPdfBatch(
    actor: Actor,
    accountId: string,
    pin: string,
    options: PadesOptions,
    event: Omit<AuditEvent, 'target'>,
  ): Promise<(pdf: Buffer) => Promise<Buffer>> {
    const appearance = options.visible ? await this.appearance(actor, accountId, options) : undefined;
    const unlocked = await this.accounts.openKey(actor, accountId, pin, event);
    const builder = new CmsSignatureBuilder(unlocked.signer, unlocked.certificates);
    const level = options.level ?? 'B-B';
    let largestCms = 0;
    let collected: { at: number; data: Promise<ValidationData> } | undefined;
    const validationData = () => {
      const now = this.clock.now().getTime();
      if (!collected || now - collected.at > VALIDATION_DATA_REUSE_MS) {
        const data = this.validation.collect(unlocked.certificates[0]!);
        collected = { at: now, data };
        // A failed collection is not kept: the next document tries again.
        data.catch(() => {
          if (collected?.data === data) collected = undefined;
        });
      }
      return collected.data;
    };
    return async (pdf) => {
      const contentsSize = largestCms ? largestCms + JOB_CONTENTS_MARGIN : PADES_CONTENTS_SIZE;
      let prepared = await this.preparePdf(pdf, options, appearance, contentsSize);
      let cms = await this.padesCms(prepared, builder, level);
      largestCms = Math.max(largestCms, cms.length);
      if (cms.length > contentsSize) {
        prepared = await this.preparePdf(pdf, options, appearance, PADES_CONTENTS_SIZE);
        cms = await this.padesCms(prepared, builder, level);
        largestCms = Math.max(largestCms, cms.length);
      }
      return this.completePdf(prepared, cms, level, validationData);
    };
  }

  /** The PDF with its signature's incremental update and an empty hole; a PDF that cannot be signed is a 422. */
  private async preparePdf(
    pdf: Buffer,
    options: PadesOptions,
    appearance: SignatureAppearance | undefined,
    contentsSize: number,
  ): Promise<PreparedPdfSignature> {
    const { preparePdfSignature, PdfError } = await pades();
    return preparePdfSignature(pdf, {
      signingTime: this.clock.now(),
      contentsSize,
      ...(options.visible ? { placement: options.visible, appearance } : {}),
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.location ? { location: options.location } : {}),
      ...(options.certify ? { certify: true } : {}),
    }).catch((err: unknown) => {
      throw err instanceof PdfError ? new Refused(err.message, [{ path: err.path, message: err.message }]) : err;
    });
  }

  /**
   * The CMS of a prepared PDF at `level` (PAdES has no signingTime attribute, the time is /M, EN
   * 319 142-1 §5.3), with a signature time-stamp from B-T on.
   */
  private padesCms(prepared: PreparedPdfSignature, builder: CmsSignatureBuilder, level: PadesLevel): Promise<Buffer> {
    return builder.sign({ digest: prepared.digest(builder.signer.algorithm.hash) }, level !== 'B-B' ? this.timestamp() : undefined);
  }

  /**
   * Embeds `cms` in the prepared PDF; B-LT then appends the validation data of the signer and the
   * TSA in a DSS (asked of `validationData` only then); B-LTA then a document time-stamp over all of it.
   */
  private async completePdf(
    prepared: PreparedPdfSignature,
    cms: Buffer,
    level: PadesLevel,
    validationData: () => Promise<ValidationData>,
  ): Promise<Buffer> {
    const signed = prepared.embed(cms);
    if (level === 'B-B' || level === 'B-T') return signed;
    // The VRI key hashes the /Contents bytes as they are in the file: the CMS and its zero padding.
    const contents = Buffer.concat([cms, Buffer.alloc(prepared.contentsSize - cms.length)]);
    const { appendDss, prepareDocumentTimestamp } = await pades();
    const withDss = await appendDss(signed, await validationData(), [contents]);
    if (level === 'B-LT') return withDss;
    const stamp = await prepareDocumentTimestamp(withDss, { contentsSize: DOCUMENT_TIMESTAMP_SIZE });
    return stamp.embed(await this.tsa.token(imprintRequest('sha256', stamp.digest('sha256'))));
  }

  /** The appearance of a visible signature with this account (its image, names), built for one call or one job. */
  async appearance(actor: Actor, accountId: string, options: Pick<PadesOptions, 'reason' | 'location'>): Promise<SignatureAppearance> {
    const shown = await this.accounts.appearanceOf(actor.principal, accountId);
    const { SignatureAppearance } = await import('../pki/pdf-appearance.js');
    return SignatureAppearance.create(appearanceFont(), {
      holder: shown.holder,
      signerName: shown.commonName,
      organizationName: shown.organizationName,
      ...(shown.image ? { image: shown.image } : {}),
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.location ? { location: options.location } : {}),
    });
  }

  /**
   * Signs up to 1,000 SHA-256 hashes under one PIN authorization: one detached CMS per hash whose
   * messageDigest is that hash. The constant parts are encoded once per call (CmsSignatureBuilder).
   */
  async signHashes(actor: Actor, accountId: string, pin: string, hashes: Buffer[]): Promise<Buffer[]> {
    if (hashes.length === 0 || hashes.length > MAX_HASHES) throw new Refused(`send 1 to ${MAX_HASHES} hashes per call`);
    const wrong = hashes.flatMap((h, i) => (h.length === 32 ? [] : [{ path: `hashes.${i}`, message: `a SHA-256 hash has 32 bytes, not ${h.length}` }]));
    if (wrong.length) throw new Refused('every hash must be a 32-byte SHA-256 digest', wrong.slice(0, 20));
    // The audit trail names the batch by a digest over its hashes, in order.
    const batchSha256 = hashes.reduce((h, d) => h.update(d), createHash('sha256')).digest('hex');
    const event = { action: 'signing-account.sign-hash', details: { count: hashes.length, hashAlgorithm: 'SHA-256', batchSha256 } };
    const unlocked = await this.accounts.openKey(actor, accountId, pin, event);
    return new CmsSignatureBuilder(unlocked.signer, unlocked.certificates).signDigests(hashes, this.clock.now());
  }

  /** An unsigned signature-time-stamp attribute over the signature value (EN 319 122-1 §5.3). */
  private timestamp(): UnsignedAttributes {
    return async (signatureValue) => {
      const token = await this.tsa.token(imprintRequest('sha256', createHash('sha256').update(signatureValue).digest()));
      return [attribute(CMS_OID.signatureTimeStampToken, token)];
    };
  }
}
