import { z } from 'zod';
import { PROVINCES } from '../../organizations/provinces.js';
import type { Services } from '../../services.js';
import { pageOf, pageQuery, type RouteDefiner } from '../route.js';
import { lineText } from '../text-rule.js';

const provinceSchema = z.object({ code: z.string(), name: z.string(), current: z.boolean(), mergedInto: z.string().optional() });
const uuid = z.uuid();
const organizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  code: z.string(),
  sector: z.string(),
  province: z.string(),
  parentId: z.string().nullable(),
  createdAt: z.string(),
});

/** Organizations (create, list, read, edit) and the provinces list their province comes from. */
export function organizationRoutes(route: RouteDefiner, services: Services): void {
  route(
    {
      method: 'post',
      path: '/api/v1/organizations',
      summary: 'Create an organization (admin)',
      tags: ['organizations'],
      auth: true,
      roles: ['admin'],
      status: 201,
      body: z.object({
        name: lineText(1, 200),
        code: lineText(1, 64),
        sector: z.string().min(1).max(40),
        province: lineText(1, 128),
        parentId: uuid.optional(),
      }),
      response: organizationSchema,
    },
    async ({ body, actor }) => services.organizations.create(actor, body),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/organizations',
      summary: 'Organizations the caller may see',
      tags: ['organizations'],
      auth: true,
      query: z.object({ ...pageQuery, cursor: uuid.optional(), sector: z.string().optional(), province: z.string().optional() }),
      response: pageOf(organizationSchema),
    },
    async ({ query, principal }) => services.organizations.list(principal, query),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/organizations/:id',
      summary: 'One organization',
      tags: ['organizations'],
      auth: true,
      params: z.object({ id: z.string() }),
      response: organizationSchema,
    },
    async ({ params, principal }) => services.organizations.get(principal, params.id),
  );

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
      roles: ['admin'],
      params: z.object({ id: z.string() }),
      body: z
        .object({
          name: lineText(1, 200).optional(),
          sector: z.string().min(1).max(40).optional(),
          province: lineText(1, 128).optional(),
          parentId: z.uuid().nullable().optional(),
        })
        .strict()
        .refine((b) => Object.keys(b).length > 0, 'nothing to change'),
      response: organizationSchema,
    },
    async ({ params, body, actor }) => services.organizations.update(actor, params.id, body),
  );
}
