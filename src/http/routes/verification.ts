import type { RequestHandler } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { BadRequest, TooLarge } from '../../errors.js';
import type { Services } from '../../services.js';
import type { RouteDefiner } from '../route.js';

/** Largest uploaded document or signature, matching the JSON body limit (api.md: over 20 MB is a 413). */
const UPLOAD_LIMIT = 20 * 1024 * 1024;

/** Multipart parsing for `document` and `signature` file parts (or base64 text fields), in memory. */
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: UPLOAD_LIMIT, fieldSize: Math.ceil((UPLOAD_LIMIT * 4) / 3) + 1024, files: 2, fields: 2, parts: 4 },
}).fields([
  { name: 'document', maxCount: 1 },
  { name: 'signature', maxCount: 1 },
]);

/** Runs multer and turns its errors into problem documents: size limits are 413, the rest 400. */
const multipart: RequestHandler = (req, res, next) => {
  if (!req.is('multipart/form-data')) {
    next();
    return;
  }
  upload(req, res, (err: unknown) => {
    if (!err) next();
    else if (err instanceof multer.MulterError && ['LIMIT_FILE_SIZE', 'LIMIT_FIELD_VALUE'].includes(err.code)) {
      next(new TooLarge('a part is larger than 20 MB'));
    } else next(new BadRequest(`malformed multipart body: ${(err as Error).message}`));
  });
};

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
  certificateStatus: z.enum(['good', 'revoked', 'suspended', 'unknown']).describe('From kyso’s records; unknown when kyso holds none'),
  revokedAt: z.string().optional(),
  revocationReason: z.string().optional(),
  chain: z.array(z.string()).describe('Subjects from the signer up to the trusted CA'),
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
      const files = (req.files ?? {}) as Record<string, Express.Multer.File[] | undefined>;
      const part = (name: 'document' | 'signature'): Buffer | undefined => {
        const file = files[name]?.[0];
        if (file) return file.buffer;
        const text = body[name];
        if (text === undefined) return undefined;
        return text.trimStart().startsWith('-----BEGIN') ? Buffer.from(text, 'latin1') : Buffer.from(text, 'base64');
      };
      return services.verification.verify({ document: part('document'), signature: part('signature') });
    },
  );
}
