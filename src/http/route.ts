import type { Request, RequestHandler, Response, Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Actor, Principal } from '../auth/principal.js';
import { BadRequest } from '../errors.js';

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
  return (spec, handler) => defineRoute(router, registry, auth, spec, handler);
}

function defineRoute<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType>(
  router: Router,
  registry: OpenAPIRegistry,
  auth: AuthMiddleware,
  spec: RouteSpec<B, Q, P>,
  handler: (ctx: RouteContext<z.infer<B>, z.infer<Q>, z.infer<P>>) => Promise<unknown>,
): void {
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/[:*]([A-Za-z]+)/g, '{$1}'),
    summary: spec.summary,
    tags: spec.tags,
    security: spec.auth === true ? [{ bearerAuth: [] }] : undefined,
    request: {
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
      default: { description: 'an RFC 9457 problem document (application/problem+json)' },
    },
  });
  const middleware: RequestHandler[] = [];
  if (spec.auth === true) middleware.push(auth.required);
  if (spec.auth === 'optional') middleware.push(auth.optional);
  middleware.push(...(spec.before ?? []));
  router[spec.method](spec.path, ...middleware, async (req, res) => {
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

/** Common query parameters of paginated lists. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
};
