import { pipeline } from 'node:stream/promises';
import express, { type RequestHandler } from 'express';
import { z } from 'zod';
import { BadRequest, TooLarge } from '../../errors.js';
import { PIN_PATTERN } from '../../keys/pin-key.js';
import { subjectSchema } from '../../requests/schemas.js';
import type { Services } from '../../services.js';
import { ACCOUNT_CSV_COLUMNS, accountsFromCsv } from '../../signing/csv.js';
import { MAX_HASHES } from '../../signing/documents.js';
import { MAX_JOB_BYTES, MAX_JOB_FILES } from '../../signing/jobs.js';
import { receiveJobUpload } from '../job-upload.js';
import { filePart, multipartInMemory } from '../multipart.js';
import { idempotent, issuedBatchResults, parseEach } from '../batch.js';
import { pageOf, pageQuery, parseInput, type RouteDefiner } from '../route.js';

/** Most accounts one batch call may open (a school onboards its teachers in one go). */
const MAX_ACCOUNTS_PER_BATCH = 2000;

/** Largest PDF `sign` takes as a multipart part (JSON bodies stay at 20 MB). */
const MAX_MULTIPART_DOCUMENT = 100 * 1024 * 1024;
/** Largest signature or seal image (api.md). */
const MAX_APPEARANCE_IMAGE = 1024 * 1024;

const pin = z.string().regex(PIN_PATTERN, '6 to 8 digits').describe('6–8 digits; a new PIN may not be one digit repeated or a run (123456, 876543)');
const accountInput = z.object({
  holder: z.enum(['individual', 'organization']).optional().describe('default individual'),
  userId: z.uuid().optional().describe('the holder of an individual account'),
  delegateUserIds: z.array(z.uuid()).min(1).max(100).optional().describe('organization accounts: the signers of the organization who may sign with it'),
  organizationId: z.uuid(),
  pin,
  commonName: subjectSchema.shape.commonName,
  uid: subjectSchema.shape.uid,
  keyAlgorithm: z.enum(['ecdsa-p256', 'rsa-2048']).optional().describe('default ecdsa-p256'),
});
const accountView = z.object({
  id: z.string(),
  holder: z.enum(['individual', 'organization']),
  userId: z.string().nullable(),
  delegateUserIds: z.array(z.string()).optional(),
  organizationId: z.string(),
  certificateSerial: z.string(),
  certificateStatus: z.enum(['active', 'suspended', 'revoked', 'expired']),
  commonName: z.string().nullable(),
  keyAlgorithm: z.enum(['ecdsa-p256', 'rsa-2048']),
  status: z.enum(['active', 'locked', 'revoked', 'suspended', 'expired']),
  failedPinAttempts: z.number(),
  lockedAt: z.string().nullable(),
  mustChangePin: z.boolean().describe('the first PIN must be changed before the account signs (409 pin-change-required)'),
  hasAppearance: z.boolean().describe('a signature or seal image was uploaded (PUT …/appearance)'),
  createdAt: z.string(),
  notAfter: z.string(),
});
const idParams = z.object({ id: z.string().max(100) });

/** Free text shown in a signature (reason, location): no control characters. */
const shownText = z.string().min(1).max(200).regex(/^[^\p{Cc}]*$/u, 'no control characters');
const placement = z.union([
  z.object({ page: z.number().int(), rect: z.tuple([z.number(), z.number(), z.number(), z.number()]) }).strict(),
  z.object({ field: z.string().min(1).max(200) }).strict(),
]);
/** The `sign` options; as JSON with `document` in base64, or as the `options` part of a multipart body. */
const signOptions = z.object({
  pin,
  format: z.enum(['cms', 'pades']),
  detached: z.boolean().optional().describe('CMS only; default true'),
  timestamp: z.boolean().optional().describe('same as level B-T'),
  visible: placement
    .optional()
    .describe('PAdES: { page (1-based, negative from the end), rect: [x1, y1, x2, y2] in points from the bottom-left } or { field: an empty signature field }'),
  reason: shownText.optional(),
  location: shownText.optional(),
  level: z.enum(['B-B', 'B-T', 'B-LT', 'B-LTA']).optional().describe('PAdES level; default B-B'),
  certify: z.boolean().optional().describe('PAdES: certify the document (DocMDP P=2); only its first signature'),
});

/** The `options` part of a sign job: the PIN and the PAdES options of `sign`. */
const jobOptions = signOptions.pick({ pin: true, visible: true, reason: true, location: true, level: true, certify: true });

const signJobView = z.object({
  id: z.string(),
  accountId: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  total: z.number(),
  done: z.number(),
  failed: z.number(),
  results: z.array(z.object({ index: z.number(), name: z.string(), status: z.enum(['signed', 'failed']), error: z.string().optional() })),
  error: z.string().optional(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  expiresAt: z.string().optional(),
});

/** The PAdES options of a parsed `sign` body or job `options`. */
function padesOptionsOf(body: Omit<z.infer<typeof jobOptions>, 'pin'>) {
  return {
    ...(body.visible ? { visible: body.visible } : {}),
    ...(body.reason ? { reason: body.reason } : {}),
    ...(body.location ? { location: body.location } : {}),
    ...(body.level ? { level: body.level } : {}),
    ...(body.certify ? { certify: true } : {}),
  };
}

/** The `options` part of a multipart body, parsed (400 `missing` without one, 400 when it is not JSON). */
function optionsPart(options: unknown, missing: string): unknown {
  if (typeof options !== 'string') throw new BadRequest(missing, [{ path: 'options', message: 'required' }]);
  try {
    return JSON.parse(options);
  } catch {
    throw new BadRequest('the "options" part is not valid JSON', [{ path: 'options', message: 'not JSON' }]);
  }
}

/** Multipart `sign`: the `options` part (JSON) becomes the body, the `document` part stays a file. */
const signMultipart: RequestHandler[] = [
  multipartInMemory({ files: [{ name: 'document', maxBytes: MAX_MULTIPART_DOCUMENT }], fields: ['options'] }),
  (req, _res, next) => {
    if (req.is('multipart/form-data')) {
      req.body = optionsPart((req.body as Record<string, unknown> | undefined)?.options, 'the multipart body needs an "options" part (JSON)');
    }
    next();
  },
];

/** Centralized signing accounts: provisioning, listing, PIN management, signing and sign-hash. */
export function signingRoutes(route: RouteDefiner, services: Services): void {
  const { signingAccounts, documentSigning, signJobs } = services;

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts',
      summary: 'Open a signing account for a signer (officer, admin): kyso generates the key, wraps it with the PIN and the master key, and issues a remote certificate',
      tags: ['signing-accounts'],
      auth: true,
      roles: ['officer', 'admin'],
      status: 201,
      body: accountInput,
      response: accountView,
    },
    async ({ body, actor }) => signingAccounts.create(actor, body),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts/batch',
      idempotencyKey: true,
      summary: `Open up to ${MAX_ACCOUNTS_PER_BATCH} accounts at once (officer, admin): a JSON array of the same objects, or text/csv with a header row (columns ${ACCOUNT_CSV_COLUMNS.join(', ')}; several uids separated by ";"); 207 with one result per row, a bad row never sinks the others`,
      tags: ['signing-accounts'],
      auth: true,
      roles: ['officer', 'admin'],
      status: 207,
      rawBodyTypes: ['application/json', 'text/csv'],
      before: [express.text({ type: 'text/csv', limit: '20mb' })],
      response: z.object({
        results: issuedBatchResults,
      }),
    },
    async ({ req, actor, ...ctx }) => {
      const body: unknown = typeof req.body === 'string' ? accountsFromCsv(req.body) : req.body;
      if (!Array.isArray(body)) throw new BadRequest('the body must be a JSON array of accounts or text/csv');
      if (body.length === 0) throw new BadRequest('the batch is empty');
      if (body.length > MAX_ACCOUNTS_PER_BATCH) throw new TooLarge(`at most ${MAX_ACCOUNTS_PER_BATCH} accounts per batch (got ${body.length})`);
      // The rows without their PINs identify the batch: a hash of a 6-digit PIN is no secret.
      const withoutPins = body.map((row: unknown) => (row && typeof row === 'object' ? { ...row, pin: undefined } : row));
      return idempotent(services.idempotency, { req, ...ctx }, async () => {
        const items = await signingAccounts.provision(actor, parseEach(accountInput, body, 'row'));
        return {
          results: items.map(({ index, id, status, result, error }) => ({
            index,
            ...(id ? { id } : {}),
            status,
            ...(result ? { certificateSerial: result.certificateSerial } : {}),
            ...(error ? { error } : {}),
          })),
        };
      }, withoutPins);
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/signing-accounts',
      summary: 'Signing accounts the caller may see (officer, admin, auditor: all; agency: its organization; signer: its own), newest first',
      tags: ['signing-accounts'],
      auth: true,
      query: z.object({ ...pageQuery, organizationId: z.uuid().optional() }),
      response: pageOf(accountView),
    },
    async ({ query, principal }) => signingAccounts.list(principal, query),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/signing-accounts/:id',
      summary: 'One signing account',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      response: accountView,
    },
    async ({ params, principal }) => signingAccounts.get(principal, params.id),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts/:id/sign',
      summary:
        'Sign a document with the account (its holder, or a delegate of an organization account): CAdES-B-B CMS, detached by default or enveloping, or PAdES PDF — visible (Decree 30/2020 appearance), certified, at level B-B to B-LTA; a signed PDF is signed again by incremental update. ' +
        'JSON with `document` in base64, or multipart/form-data with parts `document` (the file) and `options` (the JSON fields); with `Accept: application/pdf` the signed PDF itself is the answer. ' +
        '403 wrong PIN, 423 locked, 409 certificate not valid or pin-change-required, 422 a document or placement that cannot be signed',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      body: signOptions.extend({ document: z.base64().min(1).optional().describe('the document, base64 (JSON bodies)') }),
      rawBodyTypes: ['multipart/form-data'],
      before: signMultipart,
      response: z.object({ signature: z.string().optional(), document: z.string().optional() }),
      produces: ['application/pdf'],
    },
    async ({ params, body, actor, req, res }) => {
      const document = filePart(req, 'document') ?? (body.document ? Buffer.from(body.document, 'base64') : undefined);
      if (!document?.length) throw new BadRequest('send the document: base64 in "document", or a multipart part "document"', [{ path: 'document', message: 'required' }]);
      const result = await documentSigning.sign(actor, params.id, {
        pin: body.pin,
        format: body.format,
        document,
        ...(body.detached !== undefined ? { detached: body.detached } : {}),
        ...(body.timestamp !== undefined ? { timestamp: body.timestamp } : {}),
        pades: padesOptionsOf(body),
      });
      if (result.document && req.get('Accept')?.includes('application/pdf')) {
        res.type('application/pdf').send(result.document);
        return undefined;
      }
      return result.signature ? { signature: result.signature.toString('base64') } : { document: result.document!.toString('base64') };
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts/:id/sign-hash',
      summary: `Sign up to ${MAX_HASHES} SHA-256 hashes under one PIN check: one detached CAdES-B-B CMS per hash`,
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      body: z.object({ pin, hashAlgorithm: z.literal('SHA-256'), hashes: z.array(z.base64().max(200)).min(1) }),
      response: z.object({ signatures: z.array(z.string()) }),
    },
    async ({ params, body, actor, res }) => {
      if (body.hashes.length > MAX_HASHES) throw new TooLarge(`at most ${MAX_HASHES} hashes per call (got ${body.hashes.length})`);
      const hashes = body.hashes.map((h) => Buffer.from(h, 'base64'));
      const signatures = await documentSigning.signHashes(actor, params.id, body.pin, hashes);
      // ~2 MB of base64, which needs no JSON escaping: joined directly and sent without the ETag
      // res.json would compute over it (a POST answer is never revalidated).
      res.type('application/json').end(`{"signatures":["${signatures.map((s) => s.toString('base64')).join('","')}"]}`);
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts/:id/pin',
      summary: 'Change the PIN (the account holder, with the current PIN); the key is re-wrapped',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      body: z.object({ pin, newPin: pin }),
      status: 204,
    },
    async ({ params, body, actor }) => {
      await signingAccounts.changePin(actor, params.id, body.pin, body.newPin);
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts/:id/sign-jobs',
      summary: `Sign up to ${MAX_JOB_FILES} PDFs (${MAX_JOB_BYTES / 1024 / 1024} MB in all) in one job: multipart/form-data with a part \`options\` (JSON: \`pin\` and the PAdES options of \`sign\`) and the PDFs in parts \`documents\`, streamed to disk. The PIN is checked once; 202 with the job, then GET /api/v1/sign-jobs/{id} for progress and …/result.zip for the signed PDFs`,
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      status: 202,
      rawBodyTypes: ['multipart/form-data'],
      response: signJobView,
    },
    async ({ params, principal, actor, req }) => {
      // Refuse before reading 500 MB: the account must be one the caller may sign with.
      await signingAccounts.get(principal, params.id);
      const staged = await signJobs.stage();
      try {
        const upload = await receiveJobUpload(req, staged.dir, { maxFiles: MAX_JOB_FILES, maxBytes: MAX_JOB_BYTES });
        const options = parseInput(jobOptions, optionsPart(upload.options, 'the job needs an "options" part (JSON with the pin)'), 'options');
        return await signJobs.start(actor, params.id, staged.id, options.pin, padesOptionsOf(options), upload.files);
      } catch (err) {
        await signJobs.discard(staged.id);
        throw err;
      }
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/sign-jobs/:id',
      summary: 'A sign job of the caller: status, progress and each file’s result (404 for anyone else’s, and after its results were deleted 24 h after it ended)',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      response: signJobView,
    },
    async ({ params, principal }) => signJobs.get(principal, params.id),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/sign-jobs/:id/result.zip',
      summary: 'The signed PDFs of a finished or failed job as a ZIP, under their own names (409 while it runs)',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      produces: ['application/zip'],
    },
    async ({ params, principal, res }) => {
      const zip = await signJobs.zip(principal, params.id);
      res.type('application/zip').attachment(`sign-job-${params.id}.zip`);
      await pipeline(zip, res);
    },
  );

  route(
    {
      method: 'put',
      path: '/api/v1/signing-accounts/:id/appearance',
      summary:
        'Upload the image visible signatures show (its signer, or a delegate of an organization account): multipart/form-data part `image`, a PNG of at most 1 MB — the handwritten signature of a person, or the seal of an organization (drawn at its real size from the PNG pHYs, else 40 mm)',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      rawBodyTypes: ['multipart/form-data'],
      before: [multipartInMemory({ files: [{ name: 'image', maxBytes: MAX_APPEARANCE_IMAGE }] })],
      response: accountView,
    },
    async ({ params, actor, req }) => {
      if (!req.is('multipart/form-data')) throw new BadRequest('send multipart/form-data with a part "image" (PNG)');
      const image = filePart(req, 'image');
      if (!image?.length) throw new BadRequest('the multipart body needs a part "image" (PNG)', [{ path: 'image', message: 'required' }]);
      return signingAccounts.setAppearance(actor, params.id, image);
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts/:id/unlock',
      summary: 'Unlock an account locked after 5 wrong PINs (officer, admin)',
      tags: ['signing-accounts'],
      auth: true,
      roles: ['officer', 'admin'],
      params: idParams,
      response: accountView,
    },
    async ({ params, actor }) => signingAccounts.unlock(actor, params.id),
  );
}
