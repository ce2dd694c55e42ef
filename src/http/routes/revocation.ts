import express from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { OCSP_REQUEST_LIMIT, ocspRequestFromPath, writeOcspAnswer } from '../ocsp-front.js';
import type { RouteDefiner } from '../route.js';

/**
 * Public revocation endpoints: each CA's CRL and the OCSP responder (no authentication). The
 * server answers OCSP on node:http before Express (ocsp-front.ts); these routes document it and
 * take what the front passes on (bodies of unknown or too large length, undecodable paths).
 */
export function revocationRoutes(route: RouteDefiner, services: Services): void {
  const { crls, ocsp } = services.revocation;
  const { clock } = services;
  route(
    {
      method: 'get',
      path: '/pki/crl/:name.crl',
      summary: "A CA's current CRL, DER (RFC 5280 §5)",
      tags: ['pki'],
      auth: false,
      params: z.object({ name: z.string() }),
      produces: ['application/pkix-crl'],
    },
    async ({ params, res }) => {
      const crl = await crls.current(params.name);
      // Revalidate every time: a new CRL appears within seconds of a revocation.
      res
        .type('application/pkix-crl')
        .setHeader('Cache-Control', 'public, no-cache')
        .setHeader('ETag', `"${params.name}-${crl.crl_number}"`)
        .setHeader('Last-Modified', crl.this_update.toUTCString())
        .send(crl.der);
    },
  );
  route(
    {
      method: 'post',
      path: '/pki/ocsp',
      summary: 'OCSP responder (RFC 6960), DER OCSPRequest in the body',
      tags: ['pki'],
      auth: false,
      rawBodyTypes: ['application/ocsp-request'],
      produces: ['application/ocsp-response'],
      before: [express.raw({ type: () => true, limit: OCSP_REQUEST_LIMIT })],
    },
    async ({ req, res }) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      writeOcspAnswer(res, await ocsp.respond(body), 'POST', undefined, clock.now());
    },
  );
  route(
    {
      method: 'get',
      path: '/pki/ocsp/*base64req',
      summary: 'OCSP responder (RFC 6960 appendix A.1): URL-encoded base64 DER OCSPRequest as the path',
      tags: ['pki'],
      auth: false,
      produces: ['application/ocsp-response'],
    },
    async ({ req, res }) => {
      // Express has split the path at '/' (base64 has them, encoded as %2F or not) and decoded each part.
      const parts = (req.params as { base64req?: string[] }).base64req ?? [];
      writeOcspAnswer(res, await ocsp.respond(ocspRequestFromPath(parts)), 'GET', req.headers['if-none-match'], clock.now());
    },
  );
}
