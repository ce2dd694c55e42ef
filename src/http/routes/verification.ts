import { z } from 'zod';
import type { Services } from '../../services.js';
import { filePart, multipartInMemory } from '../multipart.js';
import type { RouteDefiner } from '../route.js';

/** Largest uploaded document or signature, matching the JSON body limit (api.md: over 20 MB is a 413). */
const UPLOAD_LIMIT = 20 * 1024 * 1024;

/** Multipart parsing for `document` and `signature` file parts (or base64 text fields), in memory. */
const multipart = multipartInMemory({
  files: [
    { name: 'document', maxBytes: UPLOAD_LIMIT },
    { name: 'signature', maxBytes: UPLOAD_LIMIT },
  ],
  fields: ['document', 'signature'],
  maxFieldBytes: Math.ceil((UPLOAD_LIMIT * 4) / 3) + 1024,
});

/** A binary value sent as text: base64 (standard or URL-safe), or a PEM block for the signature. */
const binaryText = z
  .string()
  .refine((s) => s.trimStart().startsWith('-----BEGIN') || /^[A-Za-z0-9+/_\s-]*=*\s*$/.test(s), 'must be base64 (or PEM)');

const verifyBody = z.object({
  document: binaryText.optional().describe('The signed document: a PDF (verified alone), or the content of a detached CMS'),
  signature: binaryText.optional().describe('CMS SignedData (DER in base64, or PEM): detached with `document`, or enveloping alone'),
});

const signatureReport = z.object({
  indication: z.enum(['TOTAL_PASSED', 'TOTAL_FAILED', 'INDETERMINATE']),
  subIndication: z.string().optional().describe('ETSI EN 319 102-1 sub-indication, e.g. HASH_FAILURE, NO_CERTIFICATE_CHAIN_FOUND'),
  format: z.string().describe('CMS, PAdES (ETSI.CAdES.detached), PDF-PKCS7 (adbe.pkcs7.*) or PDF-DocTimeStamp'),
  signer: z.object({
    subject: z.string(),
    uid: z.array(z.string()).describe('Every UID (0.9.2342.19200300.100.1.1) of the subject, e.g. ["MST:0101234567", "CCCD:001099012345"]'),
    serial: z.string().describe('Lowercase hex without leading zeros'),
    issuer: z.string(),
  }),
  signingTime: z.string().optional().describe('The claimed signing time (signingTime attribute or the PDF /M), else the time-stamp time'),
  timestamp: z.object({ time: z.string(), tsa: z.string().optional(), valid: z.boolean() }).optional(),
  certificateStatus: z.enum(['good', 'revoked', 'suspended', 'unknown']).describe('From the revocation source; unknown when there is none'),
  revocationSource: z
    .enum(['kyso', 'crl', 'ocsp', 'embedded', 'none'])
    .describe(
      'Where the status came from: kyso’s records (its own CAs), the issuer’s CRL or OCSP responder (other PKIs, fetched within KYSO_FETCH_ALLOW), ' +
        'revocation data carried in the signature, or none (then the signature is at best INDETERMINATE/TRY_LATER)',
    ),
  revokedAt: z.string().optional(),
  revocationReason: z.string().optional(),
  chain: z.array(z.string()).describe('Subjects from the signer up to the trusted CA'),
  fieldName: z.string().optional().describe('PDF: the signature field'),
  level: z.enum(['B-B', 'B-T', 'B-LT', 'B-LTA']).optional().describe('PAdES level: B-T signature time-stamp, B-LT validation data in the DSS, B-LTA a document time-stamp after it'),
  coversWholeDocument: z.boolean().optional().describe('PDF: whether the signature covers the file to its end'),
  modifiedAfter: z
    .enum(['none', 'signatures', 'annotations', 'content'])
    .optional()
    .describe('PDF: what later incremental updates changed; content makes the signature at best INDETERMINATE'),
  reasons: z.array(z.string()).describe('Why the indication is not TOTAL_PASSED'),
  warnings: z.array(z.string()),
});

const verifyResponse = z.object({
  indication: z.enum(['TOTAL_PASSED', 'TOTAL_FAILED', 'INDETERMINATE']).describe('The worst indication of the signatures'),
  subIndication: z.string().optional(),
  detail: z.string().optional().describe('Why no signature could be examined'),
  signatures: z.array(signatureReport),
});

/** `POST /api/v1/verify`: CMS and PDF signature verification, no authentication. */
export function verificationRoutes(route: RouteDefiner, services: Services): void {
  route(
    {
      method: 'post',
      path: '/api/v1/verify',
      summary:
        'Verify a CMS signature (detached: document + signature; enveloping: signature) or every signature of a PDF (document). ' +
        'JSON with base64 values, or multipart/form-data with parts `document` and `signature`. A bad signature is a 200 with TOTAL_FAILED.',
      tags: ['verification'],
      auth: false,
      body: verifyBody,
      rawBodyTypes: ['multipart/form-data'],
      response: verifyResponse,
      before: [multipart],
    },
    async ({ body, req }) => {
      const part = (name: 'document' | 'signature'): Buffer | undefined => {
        const file = filePart(req, name);
        if (file) return file;
        const text = body[name];
        if (text === undefined) return undefined;
        return text.trimStart().startsWith('-----BEGIN') ? Buffer.from(text, 'latin1') : Buffer.from(text, 'base64');
      };
      return services.verification.verify({ document: part('document'), signature: part('signature') });
    },
  );
}
