import { z } from 'zod';
import type { Services } from '../../services.js';
import type { RouteDefiner } from '../route.js';

const trustAnchorView = z.object({
  id: z.string(),
  name: z.string(),
  subject: z.string(),
  serial: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  fingerprint: z.string(),
  pem: z.string(),
  createdAt: z.string(),
});

/** Trust anchors: CA certificates of other PKIs kyso trusts for import and verification. */
export function trustAnchorRoutes(route: RouteDefiner, services: Services): void {
  route(
    {
      method: 'post',
      path: '/api/v1/trust-anchors',
      summary: 'Trust a CA certificate of another PKI (admin): a root or an intermediate',
      tags: ['trust-anchors'],
      auth: true,
      roles: ['admin'],
      status: 201,
      body: z.object({ name: z.string().trim().min(1).max(200), pem: z.string().max(100_000) }),
      response: trustAnchorView,
    },
    async ({ body, actor }) => services.trustAnchors.create(actor, body),
  );
  route(
    {
      method: 'get',
      path: '/api/v1/trust-anchors',
      summary: 'Trust anchors (admin, officer, auditor)',
      tags: ['trust-anchors'],
      auth: true,
      roles: ['admin', 'officer', 'auditor'],
      response: z.array(trustAnchorView),
    },
    async ({ principal }) => services.trustAnchors.list(principal),
  );
  route(
    {
      method: 'delete',
      path: '/api/v1/trust-anchors/:id',
      summary: 'Stop trusting a trust anchor (admin); certificates imported under it stay',
      tags: ['trust-anchors'],
      auth: true,
      roles: ['admin'],
      params: z.object({ id: z.string().max(100) }),
      status: 204,
    },
    async ({ params, actor }) => services.trustAnchors.remove(actor, params.id),
  );
}
