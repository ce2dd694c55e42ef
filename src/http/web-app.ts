import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { sendProblem } from './problem.js';

/** Where `npm install` / `npm start` build the web application (web/build.mjs). */
export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/**
 * The page loads only its own hashed scripts and style sheet and talks only to this API: no inline
 * script or style element (Chart.js and Preact set styles through the CSSOM, which CSP allows).
 */
const WEB_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Paths that are never the application's, so an unknown one stays a problem+json 404. */
const NOT_THE_APP = /^\/(api|pki|healthz|readyz|metrics)(\/|$)/;

/**
 * The web application: `/assets/*` (hashed names, cached for a year), `/admin` → `/`, `/` for any
 * client (the front door: `curl host/` after `npm start` finds the application), and every other
 * browser navigation (`Accept: text/html`: `/verify`, `/requests/:id`, …) answered with index.html,
 * which the application routes itself (api.md "The web application"); an unknown path asked by a
 * non-browser client stays a problem+json 404.
 */
export function webApplication(dist = WEB_DIST): Router {
  const router = express.Router();
  router.use(
    '/assets',
    express.static(path.join(dist, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true, redirect: false }),
  );
  router.get('/admin', (_req, res) => res.redirect(301, '/'));
  router.get('/{*rest}', (req, res, next) => {
    const browser = (req.headers.accept ?? '').includes('text/html');
    if (NOT_THE_APP.test(req.path) || req.path.startsWith('/assets/') || (!browser && req.path !== '/')) {
      next();
      return;
    }
    const index = path.join(dist, 'index.html');
    if (!existsSync(index)) {
      sendProblem(res, 503, 'Service Unavailable', 'the web application is not built: run npm install (or npm start) to build it');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', WEB_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.sendFile(index, (err) => {
      if (err) next(err);
    });
  });
  return router;
}
