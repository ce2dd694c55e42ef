import type { Request, RequestHandler, Response, Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { requireRole } from '../auth/authorize.js';
import type { Actor, Principal, Role } from '../auth/principal.js';
import { BadRequest, Forbidden } from '../errors.js';
import { assertTextRule } from './text-rule.js';

/** What a route handler receives: validated input and who is calling. */
export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** Set on routes with `auth: true` (or `optional` when a token was sent). */
  principal: Principal;
  actor: Actor;
  req: Request;
  res: Response;
}

/** One HTTP operation: its contract (for validation and the OpenAPI document) and its handler. */
export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tags: string[];
  auth: boolean | 'optional';
  body?: B;
  /** Extra request content types this route reads itself (documented as binary). */
  rawBodyTypes?: string[];
  query?: Q;
  params?: P;
  status?: number;
  response?: z.ZodType;
  /** Non-JSON success content types, for the document. */
  produces?: string[];
  /**
   * Roles that may call the route at all, checked before the input is read or validated (a caller
   * who may not call it gets 403, not a 400 about its body, and its upload is not read). Services
   * still decide what each may see.
   */
  roles?: readonly Role[];
  /** Callable by a user who must change the password first (api.md "Auth"): logout, me, password. */
  duringPasswordChange?: boolean;
  /** Takes the optional `Idempotency-Key` header (batch routes, src/http/batch.ts `idempotent`): documented here. */
  idempotencyKey?: boolean;
  /** Extra middleware run before the handler (after authentication). */
  before?: RequestHandler[];
}

/** Parses `value` with `schema`, or throws a 400 listing each problem. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new BadRequest(
    `invalid ${where}`,
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || where, message: issue.message })),
  );
}

/** The client's address as Express sees it (trust proxy applies). */
export const clientIp = (req: Request): string | null => req.ip ?? null;

/** Registers routes on `router`, each described in the OpenAPI `registry`. */
export type RouteDefiner = <B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, P extends z.ZodType = z.ZodUnknown>(
  spec: RouteSpec<B, Q, P>,
  handler: (ctx: RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>>) => Promise<unknown>,
) => void;

/** Authentication middleware routes choose from. */
export interface AuthMiddleware {
  required: RequestHandler;
  optional: RequestHandler;
}

/** A RouteDefiner bound to one router, registry and authentication. */
export function routeDefiner(router: Router, registry: OpenAPIRegistry, auth: AuthMiddleware): RouteDefiner {
  registry.registerComponent('schemas', 'Problem', PROBLEM_SCHEMA);
  return (spec, handler) => defineRoute(router, registry, auth, spec, handler);
}

/** Express parameters (`:name`, `*name`, names with digits such as `:base64req`) as OpenAPI `{name}`. */
export function openApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** A unique operationId from the method and path: `GET /pki/ocsp/:base64req` → `getPkiOcspByBase64req`. */
export function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/^[:*]([A-Za-z_][A-Za-z0-9_]*)(.*)$/, 'by_$1$2'))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** The batch routes' optional header, as the OpenAPI document shows it. */
const IDEMPOTENCY_HEADER = z.object({
  'Idempotency-Key': z
    .string()
    .max(255)
    .optional()
    .describe('Re-posting the same body with the same key within 24 hours answers the first result again (no new rows); another body with the key is a 422'),
});

/** RFC 9457 problem details as kyso writes them (src/http/problem.ts), the `Problem` component. */
const PROBLEM_SCHEMA: Parameters<OpenAPIRegistry['registerComponent']>[2] = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'A URI naming the kind of problem' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Each invalid field',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

function defineRoute<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType>(
  router: Router,
  registry: OpenAPIRegistry,
  auth: AuthMiddleware,
  spec: RouteSpec<B, Q, P>,
  handler: (ctx: RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>>) => Promise<unknown>,
): void {
  registry.registerPath({
    method: spec.method,
    path: openApiPath(spec.path),
    operationId: operationId(spec.method, spec.path),
    summary: spec.summary,
    tags: spec.tags,
    // Public operations say so (`security: []`), or Swagger would send the bearer token everywhere.
    security: spec.auth === true ? [{ bearerAuth: [] }] : spec.auth === 'optional' ? [{ bearerAuth: [] }, {}] : [],
    request: {
      ...(spec.idempotencyKey ? { headers: IDEMPOTENCY_HEADER as never } : {}),
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.body || spec.rawBodyTypes
        ? {
            body: {
              content: {
                ...(spec.body ? { 'application/json': { schema: spec.body } } : {}),
                ...Object.fromEntries((spec.rawBodyTypes ?? []).map((t) => [t, { schema: z.string() }])),
              },
            },
          }
        : {}),
    },
    responses: {
      [spec.status ?? 200]: {
        description: 'success',
        content: {
          ...(spec.response ? { 'application/json': { schema: spec.response } } : {}),
          ...Object.fromEntries((spec.produces ?? []).map((t) => [t, { schema: z.string() }])),
        },
      },
      default: { description: 'an RFC 9457 problem document', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    },
  });
  const middleware: RequestHandler[] = [];
  if (spec.auth === true) middleware.push(auth.required);
  if (spec.auth === 'optional') middleware.push(auth.optional);
  middleware.push(mayCall(spec), ...(spec.before ?? []));
  router[spec.method](spec.path, ...middleware, async (req, res) => {
    assertTextRule(req.params, 'path');
    assertTextRule(req.query, 'query');
    assertTextRule(req.body, 'body');
    const ctx = {
      body: spec.body ? parseInput(spec.body, req.body, 'body') : req.body,
      query: spec.query ? parseInput(spec.query, req.query, 'query') : req.query,
      params: spec.params ? parseInput(spec.params, req.params, 'path') : req.params,
      principal: req.user as Principal,
      actor: { principal: (req.user as Principal | undefined) ?? null, ip: clientIp(req) },
      req,
      res,
    } as RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>>;
    const result = await handler(ctx);
    if (res.headersSent) return;
    if (result === undefined) res.status(spec.status ?? 204).end();
    else res.status(spec.status ?? 200).json(result);
  });
}

/** Refuses a caller the route does not allow, before `before` reads an upload (a multipart body, a CSV). */
function mayCall(spec: { roles?: readonly Role[]; duringPasswordChange?: boolean }): RequestHandler {
  return (req, _res, next) => {
    const principal = (req.user as Principal | undefined) ?? null;
    if (principal?.mustChangePassword && !spec.duringPasswordChange) {
      throw new Forbidden('the password was reset: change it first (POST /api/v1/auth/password)');
    }
    if (spec.roles) requireRole(principal, ...spec.roles);
    next();
  };
}

/** Common query parameters of paginated lists. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
};

/** The response of a paginated list: a page of `item`, and the cursor of the next page (null on the last). */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
