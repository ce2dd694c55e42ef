import { createHash } from 'node:crypto';
import type { Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import { Refused } from '../errors.js';
import { attribute, CmsSignatureBuilder, CMS_OID, type UnsignedAttributes } from '../pki/cms.js';
import { PdfError, preparePdfSignature } from '../pki/pades.js';
import { imprintRequest } from '../pki/tsp.js';
import type { TimeStampAuthority } from '../tsa/tsa.js';
import type { SigningAccountService } from './accounts.js';

/** Most hashes one sign-hash call may carry (api.md). */
export const MAX_HASHES = 1000;

/**
 * Bytes reserved in a PDF's /Contents for the CMS: the signer's chain (~2–3 KB), the signature and
 * attributes, and a time-stamp token with its own chain (~3 KB) — with room to spare.
 */
const PADES_CONTENTS_SIZE = 16_384;

/** A document to sign with an account. */
export interface SignDocumentInput {
  pin: string;
  document: Buffer;
  format: 'cms' | 'pades';
  /** CMS only: leave the content out of the SignedData (default) or encapsulate it. */
  detached?: boolean;
  /** Add a signature time-stamp from kyso's TSA (CAdES-B-T / PAdES-B-T). */
  timestamp?: boolean;
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
    const signingTime = this.clock.now();
    const prepared = await preparePdfSignature(input.document, {
      signingTime,
      contentsSize: PADES_CONTENTS_SIZE,
    }).catch((err: unknown) => {
      throw err instanceof PdfError ? new Refused(err.message, [{ path: 'document', message: err.message }]) : err;
    });
    const unlocked = await this.accounts.openKey(actor, accountId, input.pin, event);
    const builder = new CmsSignatureBuilder(unlocked.signer, unlocked.certificates);
    // PAdES: no signingTime attribute; the time is the signature dictionary's /M (EN 319 142-1 §5.3).
    const cms = await builder.sign(
      { digest: prepared.digest(unlocked.signer.algorithm.hash) },
      input.timestamp ? this.timestamp() : undefined,
    );
    return { document: prepared.embed(cms) };
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
