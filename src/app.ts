import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Services } from './services.js';
import { bearerAuth, bearerToken } from './http/authenticate.js';
import { Forbidden, Unauthenticated } from './errors.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { assignRequestId, requestLogger } from './http/request-log.js';
import { redactUrl } from './log.js';
import { errorHandler, notFoundHandler, RETRY_AFTER_SECONDS, sendProblem } from './http/problem.js';
import { routeDefiner, type RouteDefiner } from './http/route.js';
import { foundationRoutes } from './http/routes/foundation.js';
import { pkiRoutes } from './http/routes/pki.js';
import { webApplication } from './http/web-app.js';

/** Largest JSON body accepted (issue: over 20 MB is a 413). */
export const JSON_LIMIT = '20mb';

/** Route groups beyond the foundation register here, so each feature owns its own file. */
export type RouteModule = (route: RouteDefiner, services: Services) => void;

/** True when `req` may read /metrics: the configured bearer token, or no token configured and a loopback client. */
function metricsAllowed(req: Request, token: string | undefined): boolean {
  if (token) {
    const given = Buffer.from(bearerToken(req.headers.authorization) ?? '');
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  // req.ip: behind a proxy on this host (trust proxy 'loopback') the forwarded client, not the proxy.
  const address = req.ip ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Builds the Express app over the services; `metrics` is shared with what answers before it (the OCSP front). */
export function createApp(services: Services, modules: RouteModule[] = [], metrics: Metrics = createMetrics()): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    (req as { id?: string }).id = assignRequestId(req, res);
    next();
  });
  // One line per request with pino-http's fields, at a fraction of its cost (bench/pipeline.ts).
  app.use(requestLogger(services.logger, (url) => redactUrl(url).replace(/\/pki\/ocsp\/.+$/, '/pki/ocsp/…')));
  app.use(metrics.middleware);
  app.use(express.json({ limit: JSON_LIMIT }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await services.knex.raw('select 1');
      res.json({ status: 'ok' });
    } catch (err) {
      services.logger.warn({ err }, 'readiness check failed');
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      sendProblem(res, 503, 'Service Unavailable', 'the database is not reachable');
    }
  });
  // /metrics shows counts of failed logins and wrong PINs (issue #13 item 9): with
  // KYSO_METRICS_TOKEN it needs that bearer token, else only loopback clients (a local scraper).
  app.get('/metrics', async (req, res, next) => {
    if (!metricsAllowed(req, services.config.metricsToken)) {
      next(services.config.metricsToken ? new Unauthenticated('GET /metrics needs the KYSO_METRICS_TOKEN bearer token') : new Forbidden('GET /metrics answers loopback clients only; set KYSO_METRICS_TOKEN to scrape it from elsewhere'));
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' });
  const router = express.Router();
  const auth = bearerAuth(services.auth);
  const route = routeDefiner(router, registry, auth);
  foundationRoutes(route, services);
  pkiRoutes(route, services);
  for (const register of modules) register(route, services);

  // Generated when first asked for, not at start-up, where it was ~0.5 s of CPU (issue #12).
  let document: ReturnType<OpenApiGeneratorV31['generateDocument']> | undefined;
  const openApi = () =>
    (document ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: {
        title: 'kyso',
        version: '1',
        description: 'Digital-signature certificates for the public sector. Errors are RFC 9457 problem documents.',
      },
      // Relative, so Swagger's "Try it out" works from whatever host serves the document.
      servers: [{ url: '/' }],
    }));
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApi());
  });
  let docsPage: RequestHandler | undefined;
  const docs: RequestHandler = (req, res, next) => (docsPage ??= swaggerUi.setup(openApi()))(req, res, next);
  app.use('/api/docs', swaggerUi.serve, docs);
  app.use(router);
  app.use(webApplication());
  app.use(notFoundHandler);
  app.use(errorHandler(services.logger));
  return app;
}
