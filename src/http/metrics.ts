import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process's HTTP paths: request counts and latencies by route, plus process metrics. */
export interface Metrics {
  readonly registry: Registry;
  /** Counts the Express app's requests by matched route. */
  readonly middleware: RequestHandler;
  /**
   * Counts one request of a path served before Express (the OCSP front): the same series, at
   * the cost of a map look-up (a labelled child per method, route and status, made once).
   */
  record(method: string, route: string, status: number, seconds: number): void;
}

/** Creates the registry and the series every HTTP path records into. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'kyso_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'kyso_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  // Labels hashed once per series, not per request (prom-client hashes a label object on every inc).
  const series = new Map<string, { count: ReturnType<typeof requests.labels>; time: ReturnType<typeof latency.labels> }>();
  const record = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let one = series.get(key);
    if (!one) {
      one = { count: requests.labels({ method, route, status: String(status) }), time: latency.labels({ method, route }) };
      series.set(key, one);
    }
    one.count.inc();
    one.time.observe(seconds);
  };
  const middleware: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      // The matched route pattern, not the raw path, keeps label cardinality bounded.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      record(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
  return { registry, middleware, record };
}
