import { z } from 'zod';
import { PROVINCES } from '../../organizations/provinces.js';
import type { Services } from '../../services.js';
import type { RouteDefiner } from '../route.js';

const provinceSchema = z.object({ code: z.string(), name: z.string(), current: z.boolean(), mergedInto: z.string().optional() });
const organizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  code: z.string(),
  sector: z.string(),
  province: z.string(),
  parentId: z.string().nullable(),
  createdAt: z.string(),
});

/** The provinces list and organization edits (the web application's admin screens use both). */
export function organizationRoutes(route: RouteDefiner, services: Services): void {
  route(
    {
      method: 'get',
      path: '/api/v1/provinces',
      summary: 'The 63 provinces before the 2025 mergers and the 34 after; an organization province is one of these names',
      tags: ['organizations'],
      auth: true,
      response: z.array(provinceSchema),
    },
    async () => PROVINCES,
  );

  route(
    {
      method: 'patch',
      path: '/api/v1/organizations/:id',
      summary: 'Edit an organization (admin); issued certificates keep the sector and province they had',
      tags: ['organizations'],
      auth: true,
      params: z.object({ id: z.string() }),
      body: z
        .object({
          name: z.string().trim().min(1).max(200).optional(),
          sector: z.string().min(1).max(40).optional(),
          province: z.string().trim().min(1).max(128).optional(),
          parentId: z.uuid().nullable().optional(),
        })
        .strict()
        .refine((b) => Object.keys(b).length > 0, 'nothing to change'),
      response: organizationSchema,
    },
    async ({ params, body, actor }) => services.organizations.update(actor, params.id, body),
  );
}
