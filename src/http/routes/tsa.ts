import express from 'express';
import { BadRequest } from '../../errors.js';
import { toPem } from '../../pki/pem.js';
import type { Services } from '../../services.js';
import type { RouteDefiner } from '../route.js';

/** RFC 3161 §3.4: time-stamp queries and replies over HTTP. */
const QUERY_TYPE = 'application/timestamp-query';
const REPLY_TYPE = 'application/timestamp-reply';

/** The public time-stamping authority: `POST /pki/tsa` and its certificate. */
export function tsaRoutes(route: RouteDefiner, services: Services): void {
  route(
    {
      method: 'post',
      path: '/pki/tsa',
      summary: 'RFC 3161 time-stamp: a DER TimeStampReq in, a DER TimeStampResp out (rejections are TimeStampResp too)',
      tags: ['pki'],
      auth: false,
      rawBodyTypes: [QUERY_TYPE],
      produces: [REPLY_TYPE],
      before: [express.raw({ type: QUERY_TYPE, limit: '16kb' })],
    },
    async ({ req, res }) => {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
        throw new BadRequest(`send a DER TimeStampReq as ${QUERY_TYPE}`);
      }
      res.type(REPLY_TYPE).send(await services.tsa.respond(req.body));
    },
  );
  route(
    {
      method: 'get',
      path: '/pki/tsa.pem',
      summary: 'The TSA certificate, PEM (for `openssl ts -verify -untrusted`)',
      tags: ['pki'],
      auth: false,
      produces: ['application/x-pem-file'],
    },
    async ({ res }) => {
      res.type('application/x-pem-file').send(toPem(services.tsa.certificate(), 'CERTIFICATE'));
    },
  );
  route(
    {
      method: 'get',
      path: '/pki/tsa.crt',
      summary: 'The TSA certificate, DER',
      tags: ['pki'],
      auth: false,
      produces: ['application/pkix-cert'],
    },
    async ({ res }) => {
      res.type('application/pkix-cert').send(services.tsa.certificate());
    },
  );
}
