import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors.js';
import type { IdempotencyService } from '../idempotency/idempotency.js';
import type { ParsedItem } from '../shared/batch.js';
import { parseInput } from './route.js';

/** A batch item's problem in the OpenAPI document (src/shared/batch.ts BatchProblem). */
export const problemSchema = z.object({
  status: z.number(),
  title: z.string(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** Per-item results of a batch that issues certificates (approvals, signing accounts). */
export const issuedBatchResults = z.array(
  z.object({
    index: z.number(),
    id: z.string().optional(),
    status: z.string(),
    certificateSerial: z.string().optional(),
    error: problemSchema.optional(),
  }),
);

/**
 * Each item of a batch parsed on its own, then checked by `check` if given: the input, or the 400
 * (or the check's error) that item deserves, so that a bad item never sinks the others.
 */
export function parseEach<T extends z.ZodType>(schema: T, items: unknown[], noun: string, check?: (input: z.infer<T>) => void): Array<ParsedItem<z.infer<T>>> {
  return items.map((item, index) => {
    try {
      const input = parseInput(schema, item, `${noun} ${index}`);
      check?.(input);
      return { input };
    } catch (err) {
      if (err instanceof DomainError) return { cause: err };
      throw err;
    }
  });
}

/**
 * Runs a batch route's work once per `Idempotency-Key` header (src/idempotency): the same key and
 * body (or `identity`, what identifies the request when the body holds secrets) answer the stored
 * first result again, marked `Idempotent-Replayed: true`.
 */
export async function idempotent<T>(
  idempotency: IdempotencyService,
  ctx: { req: Request; res: Response; principal: Principal },
  run: () => Promise<T>,
  identity: unknown = ctx.req.body,
): Promise<T> {
  const body = typeof identity === 'string' ? identity : JSON.stringify(identity ?? null);
  const { result, replayed } = await idempotency.once(ctx.principal, ctx.req.get('Idempotency-Key'), `${ctx.req.method} ${ctx.req.path}\n${body}`, run);
  if (replayed) ctx.res.setHeader('Idempotent-Replayed', 'true');
  return result;
}
