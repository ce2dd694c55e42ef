import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Metrics } from './metrics.js';
import { assignRequestId, logRequest } from './request-log.js';
import { HTTP_MAX_AGE_MS, type OcspAnswer, type OcspResponder } from '../revocation/ocsp.js';

/** Largest OCSP request body read (64 CertIDs with a nonce stay far below it); larger ones are a 413. */
export const OCSP_REQUEST_LIMIT = 16 * 1024;
/** Base64 or base64url, as clients put it in the GET path (RFC 6960 appendix A.1). */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const GET_PREFIX = '/pki/ocsp/';
/** The Express routes of the same requests (src/http/routes/revocation.ts), so /metrics has one series whichever path answers. */
const GET_ROUTE = '/pki/ocsp/*base64req';
const POST_ROUTE = '/pki/ocsp';

/**
 * The DER request of a GET path after `/pki/ocsp/`: URL-decoded segment by segment (base64 has
 * '/', encoded as %2F or not), '+' that became ' ' restored; empty when it is not base64.
 */
export function ocspRequestFromPath(segments: readonly string[]): Buffer {
  const text = segments.join('/').replace(/ /g, '+');
  return BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
}

/**
 * Writes an OCSP answer. A pre-produced answer to a GET carries RFC 5019 §6.2 caching headers, so
 * a CDN can serve it: max-age up to HTTP_MAX_AGE_MS and never past nextUpdate, Last-Modified =
 * thisUpdate, Expires consistent with max-age (an HTTP/1.0 cache must not keep it longer), and an
 * ETag answering If-None-Match with 304. Anything else — POST, nonce, several CertIDs — is no-store.
 */
export function writeOcspAnswer(res: ServerResponse, answer: OcspAnswer, method: string, ifNoneMatch: string | undefined, now: Date): void {
  const cache = method === 'GET' ? answer.cache : undefined;
  if (cache) {
    const maxAge = Math.max(0, Math.floor(Math.min(HTTP_MAX_AGE_MS, cache.nextUpdate.getTime() - now.getTime()) / 1000));
    res.setHeader('Cache-Control', `max-age=${maxAge}, public, no-transform, must-revalidate`);
    res.setHeader('Last-Modified', cache.thisUpdate.toUTCString());
    res.setHeader('Expires', new Date(now.getTime() + maxAge * 1000).toUTCString());
    res.setHeader('ETag', cache.etag);
    if (ifNoneMatch !== undefined && ifNoneMatch.split(/\s*,\s*/).includes(cache.etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
  } else {
    res.setHeader('Cache-Control', 'no-store');
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/ocsp-response');
  res.setHeader('Content-Length', answer.der.length);
  res.end(answer.der);
}

/**
 * Answers `GET /pki/ocsp/…` and `POST /pki/ocsp` on node:http, before Express: Express's router,
 * request/response prototypes, pino-http and the metrics middleware cost several times what
 * serving a pre-produced answer does (bench/ocsp.ts measures both paths). Each request gets its
 * id and its log line as the others do (request-log.ts) and is counted in /metrics under the
 * routes Express gives them. Whatever it does not recognise — another path or method, a body of
 * unknown or too large length, a path that does not URL-decode — goes on to `next` (the Express
 * app, which holds the same routes and answers those cases with its problem+json errors).
 */
export function ocspFront(ocsp: OcspResponder, clock: Clock, logger: Logger, metrics: Pick<Metrics, 'record'>, next: RequestListener): RequestListener {
  const answer = (req: IncomingMessage, res: ServerResponse, der: Buffer, started: bigint) => {
    ocsp.respond(der).then(
      (result) => {
        writeOcspAnswer(res, result, req.method!, req.headers['if-none-match'], clock.now());
        const method = req.method!;
        metrics.record(method, method === 'GET' ? GET_ROUTE : POST_ROUTE, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
        logRequest(logger, req, res, method === 'GET' ? '/pki/ocsp/…' : '/pki/ocsp', started);
      },
      (err: unknown) => {
        // respond() never rejects; this is a write failure on a closed socket.
        logger.warn({ err }, 'OCSP answer not written');
      },
    );
  };
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url.startsWith(GET_PREFIX)) {
      let segments: string[];
      try {
        const path = url.slice(GET_PREFIX.length);
        const end = path.indexOf('?');
        segments = (end < 0 ? path : path.slice(0, end)).split('/').map(decodeURIComponent);
      } catch {
        next(req, res);
        return;
      }
      const started = process.hrtime.bigint();
      assignRequestId(req, res);
      answer(req, res, ocspRequestFromPath(segments), started);
      return;
    }
    const length = Number(req.headers['content-length']);
    if (req.method === 'POST' && (url === '/pki/ocsp' || url === '/pki/ocsp/') && length >= 0 && length <= OCSP_REQUEST_LIMIT) {
      const started = process.hrtime.bigint();
      assignRequestId(req, res);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => answer(req, res, Buffer.concat(chunks), started));
      return;
    }
    next(req, res);
  };
}
