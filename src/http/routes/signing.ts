import express from 'express';
import { z } from 'zod';
import { BadRequest, DomainError, TooLarge } from '../../errors.js';
import { subjectSchema } from '../../requests/schemas.js';
import type { Services } from '../../services.js';
import { ACCOUNT_CSV_COLUMNS, accountsFromCsv } from '../../signing/csv.js';
import { MAX_HASHES } from '../../signing/documents.js';
import { pageQuery, parseInput, type RouteDefiner } from '../route.js';

/** Most accounts one batch call may open (a school onboards its teachers in one go). */
const MAX_ACCOUNTS_PER_BATCH = 2000;

const pin = z.string().regex(/^\d{6,8}$/, '6 to 8 digits');
const accountInput = z.object({
  userId: z.uuid(),
  organizationId: z.uuid(),
  pin,
  commonName: subjectSchema.shape.commonName,
  uid: subjectSchema.shape.uid,
  keyAlgorithm: z.enum(['ecdsa-p256', 'rsa-2048']).optional().describe('default ecdsa-p256'),
});
const accountView = z.object({
  id: z.string(),
  userId: z.string(),
  organizationId: z.string(),
  certificateSerial: z.string(),
  certificateStatus: z.enum(['active', 'suspended', 'revoked', 'expired']),
  commonName: z.string().nullable(),
  keyAlgorithm: z.enum(['ecdsa-p256', 'rsa-2048']),
  status: z.enum(['active', 'locked']),
  failedPinAttempts: z.number(),
  lockedAt: z.string().nullable(),
  createdAt: z.string(),
  notAfter: z.string(),
});
const problem = z.object({ status: z.number(), title: z.string(), detail: z.string(), errors: z.array(z.object({ path: z.string(), message: z.string() })).optional() });
const idParams = z.object({ id: z.string().max(100) });

/** Centralized signing accounts: provisioning, listing, PIN management, signing and sign-hash. */
export function signingRoutes(route: RouteDefiner, services: Services): void {
  const { signingAccounts, documentSigning } = services;

  route(
    {
      method: 'post',
      path: '/api/v1/signing-accounts',
      summary: 'Open a signing account for a signer (officer, admin): kyso generates the key, wraps it with the PIN and the master key, and issues a remote certificate',
      tags: ['signing-accounts'],
      auth: true,
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
      summary: `Open up to ${MAX_ACCOUNTS_PER_BATCH} accounts at once (officer, admin): a JSON array of the same objects, or text/csv with a header row (columns ${ACCOUNT_CSV_COLUMNS.join(', ')}; several uids separated by ";"); 207 with one result per row, a bad row never sinks the others`,
      tags: ['signing-accounts'],
      auth: true,
      status: 207,
      rawBodyTypes: ['application/json', 'text/csv'],
      before: [express.text({ type: 'text/csv', limit: '20mb' })],
      response: z.object({
        results: z.array(z.object({ index: z.number(), id: z.string().optional(), status: z.string(), certificateSerial: z.string().optional(), error: problem.optional() })),
      }),
    },
    async ({ req, actor }) => {
      const body: unknown = typeof req.body === 'string' ? accountsFromCsv(req.body) : req.body;
      if (!Array.isArray(body)) throw new BadRequest('the body must be a JSON array of accounts or text/csv');
      if (body.length === 0) throw new BadRequest('the batch is empty');
      if (body.length > MAX_ACCOUNTS_PER_BATCH) throw new TooLarge(`at most ${MAX_ACCOUNTS_PER_BATCH} accounts per batch (got ${body.length})`);
      const rows = body.map((row, index) => {
        try {
          return { input: parseInput(accountInput, row, `row ${index}`) };
        } catch (err) {
          if (err instanceof DomainError) return { cause: err };
          throw err;
        }
      });
      const items = await signingAccounts.provision(actor, rows);
      return {
        results: items.map(({ index, id, status, result, error }) => ({
          index,
          ...(id ? { id } : {}),
          status,
          ...(result ? { certificateSerial: result.certificateSerial } : {}),
          ...(error ? { error } : {}),
        })),
      };
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
      response: z.object({ items: z.array(accountView), nextCursor: z.string().nullable() }),
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
        'Sign a document with the account (its own signer only): CAdES-B-B CMS, detached by default or enveloping, or PAdES-B-B PDF; `timestamp: true` adds a signature time-stamp (B-T). 403 wrong PIN, 423 locked, 409 certificate not valid',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      body: z.object({
        pin,
        document: z.base64().min(1).describe('the document, base64'),
        format: z.enum(['cms', 'pades']),
        detached: z.boolean().optional().describe('CMS only; default true'),
        timestamp: z.boolean().optional(),
      }),
      response: z.object({ signature: z.string().optional(), document: z.string().optional() }),
    },
    async ({ params, body, actor }) => {
      const result = await documentSigning.sign(actor, params.id, { ...body, document: Buffer.from(body.document, 'base64') });
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
      path: '/api/v1/signing-accounts/:id/unlock',
      summary: 'Unlock an account locked after 5 wrong PINs (officer, admin)',
      tags: ['signing-accounts'],
      auth: true,
      params: idParams,
      response: accountView,
    },
    async ({ params, actor }) => signingAccounts.unlock(actor, params.id),
  );
}
