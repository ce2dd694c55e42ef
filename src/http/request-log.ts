import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * One log line per request, as pino-http wrote it (`req: { id, method, url, remoteAddress }`,
 * `res: { statusCode }`, `responseTime` in ms, "request completed"; 4xx warn, 5xx error, a client
 * that went away "request aborted"), without pino-http's per-request child logger and response
 * header serialization, which cost more than the line itself (bench/pipeline.ts). The response
 * headers are no longer logged; the request id they carried is `req.id`. The OCSP front
 * (ocsp-front.ts), which answers before Express, writes the same line with `logRequest`.
 */
export function requestLogger(logger: Logger, describeUrl: (url: string) => string = (url) => url): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => logRequest(logger, req, res, describeUrl(req.originalUrl), start));
    res.once('close', () => {
      if (!res.writableFinished) logRequest(logger, req, res, describeUrl(req.originalUrl), start, true);
    });
    next();
  };
}

/** The line of one request that ended (or whose client went away), begun at `start` (process.hrtime.bigint()). */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, url: string, start: bigint, aborted = false): void {
  const status = res.statusCode;
  const level = aborted || status >= 400 ? (status >= 500 ? 'error' : 'warn') : 'info';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      req: { id: (req as { id?: unknown }).id ?? res.getHeader('X-Request-Id'), method: req.method, url, remoteAddress: req.socket.remoteAddress },
      res: { statusCode: status },
      responseTime: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
    },
    aborted ? 'request aborted' : 'request completed',
  );
}

/** The id of a request: the client's X-Request-Id when well-formed, else a new one; set on the response. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}
