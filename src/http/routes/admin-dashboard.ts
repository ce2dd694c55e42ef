import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import { z } from 'zod';
import { NotFound } from '../../errors.js';
import type { Services } from '../../services.js';
import type { RouteDefiner } from '../route.js';

const DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/admin');
const FILES = { 'admin.js': 'admin.js', 'admin.css': 'admin.css' } as const;

/** Sends one dashboard file; resolves once it is written, so the route layer adds nothing after it. */
function sendDashboardFile(res: Response, file: string): Promise<void> {
  res.setHeader('Cache-Control', 'no-cache');
  // The page loads only its own script and style and talks only to this API (inline style attributes colour the legend).
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  );
  return new Promise((resolve, reject) => res.sendFile(path.join(DASHBOARD_DIR, file), (err) => (err ? reject(err) : resolve())));
}

/** `/admin`: the statistics and review dashboard, a static page over the JSON API (same login). */
export function adminDashboardRoutes(route: RouteDefiner, _services: Services): void {
  route(
    { method: 'get', path: '/admin', summary: 'The admin web dashboard (HTML)', tags: ['dashboard'], auth: false, produces: ['text/html'] },
    async ({ res }) => sendDashboardFile(res, 'index.html'),
  );
  route(
    {
      method: 'get',
      path: '/admin/:file',
      summary: 'The dashboard script and style sheet',
      tags: ['dashboard'],
      auth: false,
      // Any name validates: a file the dashboard does not have is a 404, as for any other missing resource.
      params: z.object({ file: z.string() }),
      produces: ['text/javascript', 'text/css'],
    },
    async ({ params, res }) => {
      if (!Object.hasOwn(FILES, params.file)) throw new NotFound(`no dashboard file ${params.file}`);
      return sendDashboardFile(res, FILES[params.file as keyof typeof FILES]);
    },
  );
}
