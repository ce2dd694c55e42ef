import express from 'express';
import { z } from 'zod';
import { TooLarge, BadRequest } from '../../errors.js';
import { requestsFromCsv } from '../../requests/csv.js';
import { MAX_BATCH, requestSchema, subjectSchema } from '../../requests/schemas.js';
import type { Services } from '../../services.js';
import { idempotent, issuedBatchResults, problemSchema, parseEach } from '../batch.js';
import { pageOf, pageQuery, type RouteDefiner } from '../route.js';

const requestView = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.enum(['submitted', 'approved', 'issued', 'rejected', 'cancelled']),
  holder: z.string(),
  medium: z.string(),
  organizationId: z.string(),
  subject: subjectSchema,
  profile: z.string().optional(),
  msisdn: z.string().optional(),
  carrier: z.string().optional(),
  targetSerial: z.string().optional().describe('renew, change-info, revoke, suspend, resume: the certificate concerned'),
  requestReason: z.string().optional().describe('revoke: the CRLReason asked for; other kinds: the requester note'),
  requestedBy: z.string(),
  requestedByName: z.string().optional().describe('GET of one request: the requester by full name (or username)'),
  createdAt: z.string(),
  decidedBy: z.string().optional(),
  decidedByName: z.string().optional().describe('GET of one request: the reviewer by full name (or username)'),
  decidedAt: z.string().optional(),
  reason: z.string().optional().describe('the reviewer reason of a rejection'),
  certificateSerial: z.string().optional().describe('the issued certificate (new, renew, change-info) or the target (revoke, suspend, resume)'),
  publicKey: z.string().optional().describe('token, sim: the key the CSR carried, e.g. EC-P-256, RSA-2048'),
});
const batchResults = z.object({
  results: z.array(z.object({ index: z.number(), id: z.string().optional(), status: z.string(), error: problemSchema.optional() })),
});
const approval = requestView.extend({ certificate: z.object({ serial: z.string(), pem: z.string() }).optional() });
const idParams = z.object({ id: z.string() });

/** Certificate requests: submit (one or a batch), list, get, approve (one or a batch), reject, cancel. */
export function requestRoutes(route: RouteDefiner, services: Services): void {
  const { requests } = services;

  route(
    {
      method: 'post',
      path: '/api/v1/certificate-requests',
      summary: 'Submit a certificate request (agency for its own organization; officer, admin)',
      tags: ['certificate-requests'],
      auth: true,
      roles: ['agency', 'officer', 'admin'],
      status: 201,
      body: requestSchema,
      response: requestView,
    },
    async ({ body, actor }) => requests.submit(actor, body),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificate-requests/batch',
      idempotencyKey: true,
      summary: `Submit up to ${MAX_BATCH} requests: a JSON array of request objects, or text/csv with a header row (columns kind, holder, medium, organizationId, commonName, uid (";"-separated), title, organizationalUnit, locality, email, csr (PEM with \\n escapes or base64 DER), msisdn, carrier, profile, certificateSerial, reason). 207 with one result per row.`,
      tags: ['certificate-requests'],
      auth: true,
      roles: ['agency', 'officer', 'admin'],
      status: 207,
      rawBodyTypes: ['application/json', 'text/csv'],
      before: [express.text({ type: 'text/csv', limit: '20mb' })],
      response: batchResults,
    },
    async ({ req, actor, ...ctx }) => {
      const rows: unknown[] = typeof req.body === 'string' ? requestsFromCsv(req.body) : req.body;
      if (!Array.isArray(rows)) throw new BadRequest('the body must be a JSON array of requests or text/csv');
      if (rows.length === 0) throw new BadRequest('the batch is empty');
      if (rows.length > MAX_BATCH) throw new TooLarge(`at most ${MAX_BATCH} requests per batch (got ${rows.length})`);
      return idempotent(services.idempotency, { req, ...ctx }, async () => ({ results: await requests.submitBatch(actor, parseEach(requestSchema, rows, 'row')) }));
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificate-requests/approve-batch',
      summary: `Approve up to ${MAX_BATCH} submitted requests at once (officer, admin): one transaction, one signing pass; one result per id, a bad id never sinks the others`,
      tags: ['certificate-requests'],
      auth: true,
      roles: ['officer', 'admin'],
      body: z.object({ ids: z.array(z.string().max(64)).min(1).max(MAX_BATCH) }),
      response: z.object({
        results: issuedBatchResults,
      }),
    },
    async ({ body, actor }) => {
      const results = await requests.approveBatch(actor, body.ids);
      return {
        results: results.map((r) => ({
          index: r.index,
          id: r.id,
          status: r.status,
          ...(r.result?.certificateSerial ? { certificateSerial: r.result.certificateSerial } : {}),
          ...(r.error ? { error: r.error } : {}),
        })),
      };
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/certificate-requests',
      summary: 'Requests the caller may see, newest first',
      tags: ['certificate-requests'],
      auth: true,
      query: z.object({
        ...pageQuery,
        status: z.enum(['submitted', 'approved', 'issued', 'rejected', 'cancelled']).optional(),
        kind: z.enum(['new', 'renew', 'change-info', 'revoke', 'suspend', 'resume']).optional(),
        holder: z.enum(['individual', 'organization']).optional(),
        medium: z.enum(['token', 'sim', 'remote', 'file']).optional(),
        organizationId: z.uuid().optional(),
      }),
      response: pageOf(requestView),
    },
    async ({ query, principal }) => requests.list(principal, query),
  );

  route(
    { method: 'get', path: '/api/v1/certificate-requests/:id', summary: 'One request', tags: ['certificate-requests'], auth: true, params: idParams, response: requestView },
    async ({ params, principal }) => requests.get(principal, params.id),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificate-requests/:id/approve',
      summary: 'Approve a submitted request (officer, admin); the built-in CA issues at once (status issued, with the certificate)',
      tags: ['certificate-requests'],
      auth: true,
      roles: ['officer', 'admin'],
      params: idParams,
      response: approval,
    },
    async ({ params, actor }) => requests.approve(actor, params.id),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificate-requests/:id/reject',
      summary: 'Reject a submitted request with a reason (officer, admin)',
      tags: ['certificate-requests'],
      auth: true,
      roles: ['officer', 'admin'],
      params: idParams,
      body: z.object({ reason: z.string().trim().min(1).max(1000) }),
      response: requestView,
    },
    async ({ params, body, actor }) => requests.reject(actor, params.id, body.reason),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificate-requests/:id/cancel',
      summary: 'Cancel a submitted request (the user who submitted it)',
      tags: ['certificate-requests'],
      auth: true,
      roles: ['agency', 'officer', 'admin'],
      params: idParams,
      response: requestView,
    },
    async ({ params, actor }) => requests.cancel(actor, params.id),
  );
}
