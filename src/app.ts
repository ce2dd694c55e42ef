import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Services } from './services.js';
import { bearerAuth } from './http/authenticate.js';
import { createMetrics } from './http/metrics.js';
import { errorHandler, notFoundHandler } from './http/problem.js';
import { routeDefiner, type RouteDefiner } from './http/route.js';
import { foundationRoutes } from './http/routes/foundation.js';
import { pkiRoutes } from './http/routes/pki.js';

/** Largest JSON body accepted (issue: over 20 MB is a 413). */
export const JSON_LIMIT = '20mb';

/** Route groups beyond the foundation register here, so each feature owns its own file. */
export type RouteModule = (route: RouteDefiner, services: Services) => void;

/** Builds the Express app over the services. */
export function createApp(services: Services, modules: RouteModule[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    (req as { id?: string }).id = id;
    next();
  });
  app.use(
    pinoHttp({
      logger: services.logger,
      genReqId: (req) => (req as { id?: string }).id ?? randomUUID(),
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url?.replace(/\/pki\/ocsp\/.+$/, '/pki/ocsp/…'),
          remoteAddress: req.remoteAddress,
        }),
      },
    }),
  );
  const metrics = createMetrics();
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
      res.status(503).type('application/problem+json').send(
        JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the database is not reachable' }),
      );
    }
  });
  app.get('/metrics', async (_req, res) => {
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

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'kyso',
      version: '1',
      description: 'Digital-signature certificates for the public sector. Errors are RFC 9457 problem documents.',
    },
    servers: [{ url: services.config.publicUrl }],
  });
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(document));
  app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(services.logger));
  return app;
}
