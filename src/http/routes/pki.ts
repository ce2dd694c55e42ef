import { z } from 'zod';
import { toPem } from '../../pki/pem.js';
import type { Services } from '../../services.js';
import type { RouteDefiner } from '../route.js';

/** Public PKI endpoints without authentication: CA certificates. */
export function pkiRoutes(route: RouteDefiner, services: Services): void {
  const { authorities, config } = services;
  route(
    {
      method: 'get',
      path: '/pki/ca',
      summary: 'The built-in certificate authorities',
      tags: ['pki'],
      auth: false,
      response: z.array(
        z.object({ name: z.string(), kind: z.string(), subject: z.string(), serial: z.string(), pemUrl: z.string(), derUrl: z.string() }),
      ),
    },
    async () => {
      await authorities.refresh();
      return authorities
        .all()
        .filter((a) => a.kind === 'root' || a.kind === 'issuing')
        .map((a) => ({
          name: a.name,
          kind: a.kind,
          subject: a.row.subject_dn,
          serial: a.row.serial,
          pemUrl: `${config.publicUrl}/pki/ca/${a.name}.pem`,
          derUrl: `${config.publicUrl}/pki/ca/${a.name}.crt`,
        }));
    },
  );
  route(
    {
      method: 'get',
      path: '/pki/ca/:name.crt',
      summary: 'A CA certificate, DER',
      tags: ['pki'],
      auth: false,
      params: z.object({ name: z.string() }),
      produces: ['application/pkix-cert'],
    },
    async ({ params, res }) => {
      const authority = await authorities.find(params.name);
      res.type('application/pkix-cert').setHeader('Cache-Control', 'public, max-age=3600');
      res.send(authority.certificateDer);
    },
  );
  route(
    {
      method: 'get',
      path: '/pki/ca/:name.pem',
      summary: 'A CA certificate, PEM',
      tags: ['pki'],
      auth: false,
      params: z.object({ name: z.string() }),
      produces: ['application/x-pem-file'],
    },
    async ({ params, res }) => {
      const authority = await authorities.find(params.name);
      res.type('application/x-pem-file').setHeader('Cache-Control', 'public, max-age=3600');
      res.send(toPem(authority.certificateDer, 'CERTIFICATE'));
    },
  );
}
