import { z } from 'zod';
import { REVOCATION_REASONS } from '../../certificates/certificates.js';
import { TooLarge } from '../../errors.js';
import { MAX_BATCH } from '../../requests/schemas.js';
import type { Services } from '../../services.js';
import { problemOf } from '../../shared/batch.js';
import { pageOf, pageQuery, type RouteDefiner } from '../route.js';
import { idempotent, problemSchema, parseEach } from '../batch.js';

const certificateView = z.object({
  serial: z.string().describe('lowercase hex without leading zeros'),
  subject: z.string(),
  commonName: z.string().nullable(),
  uid: z.array(z.string()),
  holder: z.string(),
  medium: z.string(),
  sector: z.string().describe('the organization sector at issuance'),
  province: z.string().describe('the organization province at issuance'),
  organizationId: z.string(),
  issuer: z.string(),
  source: z.enum(['issued', 'imported']),
  profile: z.string().nullable(),
  notBefore: z.string(),
  notAfter: z.string(),
  status: z.enum(['active', 'suspended', 'revoked', 'expired']),
  suspendedAt: z.string().optional(),
  revokedAt: z.string().optional(),
  revocationReason: z.string().optional(),
  fingerprint: z.string().describe('SHA-256 of the DER, hex'),
  msisdn: z.string().optional(),
  carrier: z.string().optional(),
  keyDelivered: z.boolean().optional().describe('file certificates: whether the PKCS#12 was downloaded'),
  pem: z.string().nullable(),
});
const importSchema = z.object({
  pem: z.string().max(100_000).describe('the certificate, PEM or base64 DER'),
  holder: z.enum(['individual', 'organization']),
  medium: z.enum(['token', 'sim', 'remote', 'file']),
  organizationId: z.uuid(),
});
const serialParams = z.object({ serial: z.string().max(130) });

/** Certificates: list, get, PEM/DER/chain, revoke/suspend/resume, PKCS#12 delivery, import. */
export function certificateRoutes(route: RouteDefiner, services: Services): void {
  const { certificates, imports } = services;

  route(
    {
      method: 'get',
      path: '/api/v1/certificates',
      summary: 'Certificates the caller may see, newest first; q searches subject, UID, serial and fingerprint',
      tags: ['certificates'],
      auth: true,
      query: z.object({
        ...pageQuery,
        holder: z.enum(['individual', 'organization']).optional(),
        medium: z.enum(['token', 'sim', 'remote', 'file']).optional(),
        sector: z.string().max(40).optional(),
        organizationId: z.uuid().optional(),
        status: z.enum(['active', 'suspended', 'revoked', 'expired']).optional(),
        q: z.string().trim().min(1).max(200).optional(),
      }),
      response: pageOf(certificateView),
    },
    async ({ query, principal }) => certificates.list(principal, query),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificates/import',
      summary: 'Record a certificate issued elsewhere (officer, admin): issuer must be a built-in CA or a trust anchor; 409 when already known',
      tags: ['certificates'],
      auth: true,
      roles: ['officer', 'admin'],
      status: 201,
      body: importSchema,
      response: certificateView,
    },
    async ({ body, actor }) => imports.importOne(actor, body),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificates/import/batch',
      idempotencyKey: true,
      summary: `Import up to ${MAX_BATCH} certificates (a JSON array of import objects); 207 with one result per item`,
      tags: ['certificates'],
      auth: true,
      roles: ['officer', 'admin'],
      status: 207,
      body: z.array(z.unknown()).min(1),
      response: z.object({
        results: z.array(
          z.object({
            index: z.number(),
            serial: z.string().optional(),
            status: z.string(),
            error: problemSchema.optional(),
          }),
        ),
      }),
    },
    async ({ body, actor, ...ctx }) => {
      if (body.length > MAX_BATCH) throw new TooLarge(`at most ${MAX_BATCH} certificates per batch (got ${body.length})`);
      return idempotent(services.idempotency, ctx, async () => {
        const outcomes = await imports.importMany(actor, parseEach(importSchema, body, 'item'));
        return {
          results: outcomes.map((o, index) =>
            'view' in o ? { index, serial: o.view.serial, status: 'imported' } : { index, status: 'error', error: problemOf(o.cause) },
          ),
        };
      });
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/certificates/:serial',
      summary: 'One certificate, with its status history (oldest first)',
      tags: ['certificates'],
      auth: true,
      params: serialParams,
      response: certificateView.extend({
        history: z.array(z.object({ status: z.enum(['active', 'suspended', 'revoked']), at: z.string(), reason: z.string().optional() })),
      }),
    },
    async ({ params, principal }) => certificates.get(principal, params.serial),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/certificates/:serial/pem',
      summary: 'The certificate, PEM',
      tags: ['certificates'],
      auth: true,
      params: serialParams,
      produces: ['application/x-pem-file'],
    },
    async ({ params, principal, res }) => {
      res.type('application/x-pem-file').send(await certificates.pem(principal, params.serial));
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/certificates/:serial/der',
      summary: 'The certificate, DER',
      tags: ['certificates'],
      auth: true,
      params: serialParams,
      produces: ['application/pkix-cert'],
    },
    async ({ params, principal, res }) => {
      res.type('application/pkix-cert').send(await certificates.der(principal, params.serial));
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/certificates/:serial/chain',
      summary: 'PEM bundle: the certificate, then its issuing CA up to the root (or its trust anchor)',
      tags: ['certificates'],
      auth: true,
      params: serialParams,
      produces: ['application/x-pem-file'],
    },
    async ({ params, principal, res }) => {
      res.type('application/x-pem-file').send(await certificates.chainPem(principal, params.serial));
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificates/:serial/pkcs12',
      summary: `file certificates: the kyso-generated key and the chain as a PKCS#12 (AES-256-CBC, PBKDF2/HMAC-SHA-256, SHA-256 MAC; OpenSSL 3 opens it without -legacy), delivered once — the key is then erased (agency users of the certificate's organization only)`,
      tags: ['certificates'],
      auth: true,
      roles: ['agency'],
      params: serialParams,
      body: z.object({ password: z.string().min(1).max(1000).describe('printable ASCII, 8 to 64 characters') }),
      produces: ['application/x-pkcs12'],
    },
    async ({ params, body, actor, res }) => {
      const pkcs12 = await certificates.deliverPkcs12(actor, params.serial, body.password);
      res.type('application/x-pkcs12').setHeader('Content-Disposition', `attachment; filename="${params.serial}.p12"`).setHeader('Cache-Control', 'no-store');
      res.send(pkcs12);
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificates/:serial/revoke',
      summary: 'Revoke a certificate (officer, admin); final',
      tags: ['certificates'],
      auth: true,
      roles: ['officer', 'admin'],
      params: serialParams,
      body: z.object({ reason: z.enum(REVOCATION_REASONS).optional().describe('RFC 5280 CRLReason, camelCase; default unspecified') }).optional(),
      response: certificateView,
    },
    async ({ params, body, actor }) =>
      certificates.changeStatus(actor, params.serial, { to: 'revoked', reason: body?.reason ?? 'unspecified' }),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificates/:serial/suspend',
      summary: 'Suspend an active certificate (officer, admin): certificateHold on the CRL and in OCSP',
      tags: ['certificates'],
      auth: true,
      roles: ['officer', 'admin'],
      params: serialParams,
      response: certificateView,
    },
    async ({ params, actor }) => certificates.changeStatus(actor, params.serial, { to: 'suspended' }),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/certificates/:serial/resume',
      summary: 'Resume a suspended certificate (officer, admin)',
      tags: ['certificates'],
      auth: true,
      roles: ['officer', 'admin'],
      params: serialParams,
      response: certificateView,
    },
    async ({ params, actor }) => certificates.changeStatus(actor, params.serial, { to: 'active' }),
  );
}
