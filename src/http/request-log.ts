import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * One log line per request, as pino-http wrote it (`req: { id, method, url, remoteAddress }`,
 * `res: { statusCode }`, `responseTime` in ms, "request completed"; 4xx warn, 5xx error, a client
 * that went away "request aborted"), without pino-http's per-request child logger and response
 * header serialization, which cost more than the line itself (bench/pipeline.ts). The response
 * headers are no longer logged; the request id they carried is `req.id`.
 */
export function requestLogger(logger: Logger, describeUrl: (url: string) => string = (url) => url): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const done = (aborted: boolean) => {
      const status = res.statusCode;
      const level = aborted || status >= 400 ? (status >= 500 ? 'error' : 'warn') : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          req: { id: (req as { id?: string }).id, method: req.method, url: describeUrl(req.originalUrl), remoteAddress: req.socket.remoteAddress },
          res: { statusCode: status },
          responseTime: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
        },
        aborted ? 'request aborted' : 'request completed',
      );
    };
    res.once('finish', () => done(false));
    res.once('close', () => {
      if (!res.writableFinished) done(true);
    });
    next();
  };
}
