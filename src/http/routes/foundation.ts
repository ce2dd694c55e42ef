import { z } from 'zod';
import { ROLES } from '../../auth/principal.js';
import { Unauthenticated } from '../../errors.js';
import type { Services } from '../../services.js';
import { bearerToken } from '../authenticate.js';
import { clientIp, pageOf, pageQuery, type RouteDefiner } from '../route.js';
import { lineText } from '../text-rule.js';

const uuid = z.uuid();
const principalSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  organizationId: z.string().nullable(),
});
const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  organizationId: z.string().nullable(),
  fullName: z.string().nullable(),
  createdAt: z.string(),
  disabled: z.boolean(),
  mustChangePassword: z.boolean().describe('set by an admin reset until the user changes the password'),
});
const sectorSchema = z.object({ code: z.string(), name: z.string() });
/** An audit sequence number as a page cursor: digits that stay an exact integer (a longer one was a 500 from PostgreSQL). */
const seqCursor = (message: string) =>
  z
    .string()
    .regex(/^\d{1,16}$/, message)
    .refine((v) => Number.isSafeInteger(Number(v)), message)
    .optional();

/** Auth, sectors, users and the audit trail. */
export function foundationRoutes(route: RouteDefiner, services: Services): void {

  route(
    {
      method: 'post',
      path: '/api/v1/auth/login',
      summary: 'Log in with username and password; returns a bearer token',
      tags: ['auth'],
      auth: false,
      body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
      response: z.object({
        token: z.string(),
        expiresAt: z.string(),
        user: principalSchema,
        mustChangePassword: z.boolean().describe('true after an admin reset: only POST /api/v1/auth/password is allowed until then'),
      }),
    },
    async ({ body, req }) => {
      const result = await services.auth.login(body.username, body.password, clientIp(req));
      return {
        token: result.token,
        expiresAt: result.expiresAt.toISOString(),
        user: result.user,
        mustChangePassword: result.mustChangePassword,
      };
    },
  );

  route(
    {
      method: 'post',
      path: '/api/v1/auth/password',
      summary: "Change the caller's own password; ends the caller's other sessions",
      tags: ['auth'],
      auth: true,
      duringPasswordChange: true,
      status: 204,
      body: z.object({
        currentPassword: z.string().min(1).max(1000),
        newPassword: z.string().min(1).max(1000).describe('at least 12 characters, not the username, not a common password'),
      }),
    },
    async ({ body, req, actor }) => {
      await services.auth.changePassword(actor, bearerToken(req.headers.authorization)!, body);
    },
  );

  route(
    { method: 'post', path: '/api/v1/auth/logout', summary: 'End the session of the bearer token', tags: ['auth'], auth: true, duringPasswordChange: true, status: 204 },
    async ({ req, principal }) => {
      const token = bearerToken(req.headers.authorization);
      if (!token) throw new Unauthenticated('a bearer token is required');
      await services.auth.logout(token, principal, clientIp(req));
    },
  );

  route(
    {
      method: 'get',
      path: '/api/v1/auth/me',
      summary: 'The caller',
      tags: ['auth'],
      auth: true,
      duringPasswordChange: true,
      response: principalSchema.extend({ mustChangePassword: z.boolean().optional() }),
    },
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
      roles: ['admin'],
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
      path: '/api/v1/users',
      summary: 'Create a user (admin)',
      tags: ['users'],
      auth: true,
      roles: ['admin'],
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
      response: pageOf(userSchema),
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

  // Years PostgreSQL and JavaScript both hold (year 0000 is a 500 in PostgreSQL; issue #13 item 4).
  route(
    {
      method: 'patch',
      path: '/api/v1/users/:id',
      summary: "Change a user's full name, role, organization or disabled state (admin); disabling ends its sessions at once",
      tags: ['users'],
      auth: true,
      roles: ['admin'],
      params: z.object({ id: z.string() }),
      body: z
        .object({
          fullName: lineText(1, 200).nullable().optional(),
          role: z.enum(ROLES).optional(),
          organizationId: uuid.nullable().optional(),
          disabled: z.boolean().optional(),
        })
        .strict(),
      response: userSchema,
    },
    async ({ params, body, actor }) => services.users.update(actor, params.id, body),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/users/:id/reset-password',
      summary: 'Give a user a temporary password it must change at its next login (admin); ends its sessions',
      tags: ['users'],
      auth: true,
      roles: ['admin'],
      params: z.object({ id: z.string() }),
      response: z.object({ temporaryPassword: z.string() }),
    },
    async ({ params, actor }) => services.users.resetPassword(actor, params.id),
  );

  route(
    {
      method: 'post',
      path: '/api/v1/users/:id/unlock',
      summary: "Clear a user's login throttling from every address (admin)",
      tags: ['users'],
      auth: true,
      roles: ['admin'],
      status: 204,
      params: z.object({ id: z.string() }),
    },
    async ({ params, actor }) => services.users.unlock(actor, params.id),
  );

  const dateOrTime = z
    .union([z.iso.date(), z.iso.datetime({ offset: true })])
    .refine((v) => {
      const year = new Date(v).getUTCFullYear();
      return year >= 1900 && year <= 9999;
    }, 'a date from 1900 to 9999');
  route(
    {
      method: 'get',
      path: '/api/v1/audit',
      summary: 'The audit trail, newest first (admin, auditor)',
      tags: ['audit'],
      auth: true,
      roles: ['admin', 'auditor'],
      query: z.object({
        ...pageQuery,
        cursor: seqCursor('a cursor from a previous page'),
        from: dateOrTime.optional(),
        to: dateOrTime.optional(),
        actor: z.string().max(200).optional(),
        action: z.string().max(200).optional(),
      }),
    },
    async ({ query, principal }) => {
      const endOfDay = (s: string) => (s.length === 10 ? new Date(`${s}T23:59:59.999Z`) : new Date(s));
      return services.audit.list(principal, {
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
      summary: 'Check the audit chain and every signed checkpoint in one snapshot (admin, auditor)',
      tags: ['audit'],
      auth: true,
      roles: ['admin', 'auditor'],
      response: z.object({
        ok: z.boolean(),
        checked: z.number(),
        pending: z.number(),
        checkpoints: z.number(),
        firstBrokenSeq: z.number().optional(),
        reason: z.string().optional(),
      }),
    },
    async ({ principal }) => services.audit.verify(principal),
  );

  route(
    {
      method: 'get',
      path: '/api/v1/audit/checkpoints',
      summary:
        'Signed checkpoints of the audit chain, newest first (admin, auditor). The signature (ECDSA P-256, SHA-256, DER) ' +
        'covers seq as 8 bytes big-endian, the 32 bytes of hash, and at as its ISO 8601 string; certificate (DER) is issued by the root',
      tags: ['audit'],
      auth: true,
      roles: ['admin', 'auditor'],
      query: z.object({ ...pageQuery, cursor: seqCursor('the seq of the last checkpoint of a previous page') }),
      response: z.array(z.object({ seq: z.number(), hash: z.string(), at: z.string(), signature: z.string(), certificate: z.string() })),
    },
    async ({ query, principal }) => services.audit.checkpoints(principal, { beforeSeq: query.cursor ? Number(query.cursor) : undefined, limit: query.limit }),
  );
}
