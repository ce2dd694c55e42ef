import { z } from 'zod';
import { ROLES } from '../../auth/principal.js';
import { requireRole } from '../../auth/authorize.js';
import { listAudit, verifyAuditChain } from '../../audit/audit.js';
import { Unauthenticated } from '../../errors.js';
import type { Services } from '../../services.js';
import { bearerToken } from '../authenticate.js';
import { clientIp, pageQuery, type RouteDefiner } from '../route.js';

const uuid = z.uuid();
const principalSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  organizationId: z.string().nullable(),
});
const organizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  code: z.string(),
  sector: z.string(),
  province: z.string(),
  parentId: z.string().nullable(),
  createdAt: z.string(),
});
const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  organizationId: z.string().nullable(),
  fullName: z.string().nullable(),
  createdAt: z.string(),
});
const sectorSchema = z.object({ code: z.string(), name: z.string() });
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Auth, sectors, organizations, users and the audit trail. */
export function foundationRoutes(route: RouteDefiner, services: Services): void {

  route(
    {
      method: 'post',
      path: '/api/v1/auth/login',
      summary: 'Log in with username and password; returns a bearer token',
      tags: ['auth'],
      auth: false,
      body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
      response: z.object({ token: z.string(), expiresAt: z.string(), user: principalSchema }),
    },
    async ({ body, req }) => {
      const result = await services.auth.login(body.username, body.password, clientIp(req));
      return { token: result.token, expiresAt: result.expiresAt.toISOString(), user: result.user };
    },
  );

  route(
    { method: 'post', path: '/api/v1/auth/logout', summary: 'End the session of the bearer token', tags: ['auth'], auth: true, status: 204 },
    async ({ req, principal }) => {
      const token = bearerToken(req.headers.authorization);
      if (!token) throw new Unauthenticated('a bearer token is required');
      await services.auth.logout(token, principal, clientIp(req));
    },
  );

  route(
    { method: 'get', path: '/api/v1/auth/me', summary: 'The caller', tags: ['auth'], auth: true, response: principalSchema },
    async ({ principal }) => principal,
  );

  route(
    { method: 'get', path: '/api/v1/sectors', summary: 'Sectors organizations belong to', tags: ['organizations'], auth: true, response: z.array(sectorSchema) },
    async () => services.organizations.sectors(),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/sectors',
      summary: 'Add a sector (admin)',
      tags: ['organizations'],
      auth: true,
      status: 201,
      body: z.object({
        code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'lowercase letters, digits and dashes'),
        name: z.string().min(1).max(200),
      }),
      response: sectorSchema,
    },
    async ({ body, actor }) => services.organizations.createSector(actor, body),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/organizations',
      summary: 'Create an organization (admin)',
      tags: ['organizations'],
      auth: true,
      status: 201,
      body: z.object({
        name: z.string().trim().min(1).max(200),
        code: z.string().trim().min(1).max(64),
        sector: z.string().min(1).max(40),
        province: z.string().trim().min(1).max(128),
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
      response: page(organizationSchema),
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
      method: 'post',
      path: '/api/v1/users',
      summary: 'Create a user (admin)',
      tags: ['users'],
      auth: true,
      status: 201,
      body: z.object({
        username: z.string().regex(/^[A-Za-z0-9._@-]{3,64}$/, '3–64 letters, digits, . _ @ -'),
        password: z.string().max(1000),
        role: z.enum(ROLES),
        organizationId: uuid.optional(),
        fullName: z.string().trim().min(1).max(200).optional(),
      }),
      response: userSchema,
    },
    async ({ body, actor }) => services.users.create(actor, body),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/users',
      summary: 'Users the caller may see',
      tags: ['users'],
      auth: true,
      query: z.object({ ...pageQuery, organizationId: uuid.optional(), role: z.enum(ROLES).optional() }),
      response: page(userSchema),
    },
    async ({ query, principal }) => services.users.list(principal, query),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/users/:id',
      summary: 'One user',
      tags: ['users'],
      auth: true,
      params: z.object({ id: z.string() }),
      response: userSchema,
    },
    async ({ params, principal }) => services.users.get(principal, params.id),
  );

  const dateOrTime = z.iso.date().or(z.iso.datetime({ offset: true }));
  route(
    {
      method: 'get',
      path: '/api/v1/audit',
      summary: 'The audit trail, newest first (admin, auditor)',
      tags: ['audit'],
      auth: true,
      query: z.object({
        ...pageQuery,
        cursor: z.string().regex(/^\d+$/, 'a cursor from a previous page').optional(),
        from: dateOrTime.optional(),
        to: dateOrTime.optional(),
        actor: z.string().max(200).optional(),
        action: z.string().max(200).optional(),
      }),
    },
    async ({ query, principal }) => {
      requireRole(principal, 'admin', 'auditor');
      const endOfDay = (s: string) => (s.length === 10 ? new Date(`${s}T23:59:59.999Z`) : new Date(s));
      return listAudit(services.knex, {
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? endOfDay(query.to) : undefined,
        actor: query.actor,
        action: query.action,
        beforeSeq: query.cursor ? Number(query.cursor) : undefined,
        limit: query.limit,
      });
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/audit/verify',
      summary: 'Recompute the audit hash chain (admin, auditor)',
      tags: ['audit'],
      auth: true,
      response: z.object({ ok: z.boolean(), checked: z.number(), firstBrokenSeq: z.number().optional() }),
    },
    async ({ principal }) => {
      requireRole(principal, 'admin', 'auditor');
      return verifyAuditChain(services.knex);
    },
  );
}
