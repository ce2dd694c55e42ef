import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { isConnectionError } from '../db/connection-errors.js';
import { DomainError, NotFound, TooManyRequests } from '../errors.js';

/** Seconds a client should wait after a 503 for a database outage. */
export const RETRY_AFTER_SECONDS = 5;

/** Writes an RFC 9457 problem document. */
export function sendProblem(
  res: Response,
  status: number,
  title: string,
  detail: string,
  errors?: ReadonlyArray<{ path: string; message: string }>,
): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `https://kyso.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
        title,
        status,
        detail,
        ...(errors && errors.length ? { errors } : {}),
        instance: res.req.originalUrl,
        requestId: res.getHeader('X-Request-Id'),
      }),
    );
}

/** 404 for any route nobody answered. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFound(`no route for ${req.method} ${req.path}`));
};

/** Body-parser and http-errors errors carry a `status` and `type`; map the ones a client causes. */
function clientErrorOf(err: unknown): { status: number; title: string; detail: string } | undefined {
  const e = err as { status?: number; type?: string; message?: string; expose?: boolean };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  if (e.type === 'entity.too.large') {
    return { status: 413, title: 'Content Too Large', detail: 'the request body is larger than kyso accepts' };
  }
  if (e.type === 'entity.parse.failed') {
    return { status: 400, title: 'Bad Request', detail: 'the request body is not valid JSON' };
  }
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return { status: 415, title: 'Unsupported Media Type', detail: e.message ?? 'unsupported encoding' };
  }
  return { status: e.status, title: 'Bad Request', detail: e.expose && e.message ? e.message : 'bad request' };
}

/**
 * The one error path: domain errors and client errors become problem documents; anything else is
 * logged with its cause and answered with a 500 problem. The process never exits here.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      logger.error({ err, reqId: req.id }, 'error after response started');
      res.destroy();
      return;
    }
    if (err instanceof DomainError) {
      if (err instanceof TooManyRequests) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      sendProblem(res, err.status, err.title, err.message, err.errors);
      return;
    }
    const client = clientErrorOf(err);
    if (client) {
      sendProblem(res, client.status, client.title, client.detail);
      return;
    }
    if (isConnectionError(err)) {
      // An outage, not a bug (#13 item 7): clients and load balancers retry later.
      logger.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, reqId: req.id }, 'database unavailable');
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      sendProblem(res, 503, 'Service Unavailable', 'the database is not reachable; retry later');
      return;
    }
    logger.error({ err, reqId: req.id }, 'unexpected error');
    sendProblem(res, 500, 'Internal Server Error', 'an unexpected error occurred; it has been logged');
  };
}
