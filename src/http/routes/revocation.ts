import express, { type Response } from 'express';
import { z } from 'zod';
import type { OcspAnswer } from '../../revocation/ocsp.js';
import type { Services } from '../../services.js';
import type { RouteDefiner } from '../route.js';

/** Largest OCSP request body read; larger ones are a 413 (64 CertIDs with a nonce stay far below it). */
const OCSP_REQUEST_LIMIT = '16kb';
/** Base64 or base64url, as clients put it in the GET path (RFC 6960 appendix A.1). */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Public revocation endpoints: each CA's CRL and the OCSP responder (no authentication). */
export function revocationRoutes(route: RouteDefiner, services: Services): void {
  const { crls, ocsp } = services.revocation;
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
      sendOcsp(res, await ocsp.respond(body), false);
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
      const text = parts.join('/').replace(/ /g, '+');
      const der = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
      sendOcsp(res, await ocsp.respond(der), true);
    },
  );
}

/** Writes an OCSP response; GET responses without nonce may be cached for up to a minute (RFC 5019 §6.2). */
function sendOcsp(res: Response, answer: OcspAnswer, cacheable: boolean): void {
  res.type('application/ocsp-response');
  if (cacheable && answer.maxAgeSeconds !== undefined && answer.producedAt) {
    res.setHeader('Cache-Control', `public, max-age=${answer.maxAgeSeconds}, no-transform, must-revalidate`);
    res.setHeader('Last-Modified', answer.producedAt.toUTCString());
  } else {
    res.setHeader('Cache-Control', 'no-store');
  }
  // res.end, not res.send: an ETag over each freshly signed response would only cost a hash.
  res.setHeader('Content-Length', answer.der.length);
  res.end(answer.der);
}
