import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { createMetrics } from '../src/http/metrics.js';
import { requestLogger } from '../src/http/request-log.js';

/*
 * What the per-request middleware costs (issue #12 item 3): the same tiny route behind the request
 * id alone, + pino-http as kyso configured it, + the Prometheus middleware, + both, and + kyso's lean
 * request logger (the same log fields) with the metrics. CPU time of this process per request
 * while `wrk -t1 -c16 -d3s` (another process) drives it; logs go to /dev/null through pino as in
 * production.
 */

const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));

const requestId: RequestHandler = (req, res, next) => {
  const id = randomUUID();
  res.setHeader('X-Request-Id', id);
  (req as { id?: string }).id = id;
  next();
};
const pinoHttpAsKyso = () =>
  pinoHttp({
    logger,
    genReqId: (req) => (req as { id?: string }).id ?? randomUUID(),
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
    },
  });

async function measure(name: string, middleware: RequestHandler[]): Promise<number> {
  const app = express();
  app.use(requestId, ...middleware);
  app.get('/x', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const server = app.listen(0);
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const wrk = (seconds: number) =>
    new Promise<string>((resolve, reject) => {
      // wrk runs while this process serves: execFile's callback keeps the event loop free.
      import('node:child_process').then(
        ({ execFile }) => execFile('wrk', ['-t1', '-c16', `-d${seconds}s`, `http://127.0.0.1:${port}/x`], (err, out) => (err ? reject(err as Error) : resolve(out))),
        reject,
      );
    });
  await wrk(1);
  const before = process.cpuUsage();
  const out = await wrk(3);
  const cpu = process.cpuUsage(before);
  server.close();
  const requests = Number(/(\d+) requests in/.exec(out)![1]);
  const perRequestUs = (cpu.user + cpu.system) / requests;
  console.log(`${name.padEnd(44)} ${perRequestUs.toFixed(1).padStart(6)} µs CPU/request  (${Math.round(requests / 3)}/s)`);
  return perRequestUs;
}

export async function run(): Promise<void> {
  const bare = await measure('request id only', []);
  const ph = await measure('+ pino-http', [pinoHttpAsKyso()]);
  const mt = await measure('+ metrics', [createMetrics().middleware]);
  const both = await measure('+ pino-http + metrics (before)', [pinoHttpAsKyso(), createMetrics().middleware]);
  const lean = await measure('+ lean request log + metrics (now)', [requestLogger(logger), createMetrics().middleware]);
  console.log(`pino-http costs ${(ph - bare).toFixed(1)} µs, metrics ${(mt - bare).toFixed(1)} µs; lean log + metrics ${(lean - bare).toFixed(1)} µs vs ${(both - bare).toFixed(1)} µs`);
}
