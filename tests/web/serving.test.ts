import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../src/http/web-app.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

let t: TestKyso;
beforeAll(async () => {
  t = await startTestKyso();
});
afterAll(async () => t?.close());

const html = (p: string) => t.http().get(p).set('Accept', 'text/html,application/xhtml+xml');

describe('the web application', () => {
  it('answers / and every deep link with index.html: no-cache, strict CSP, no inline script', async () => {
    for (const p of ['/', '/verify', '/requests/8d5c0f0e-0000-4000-8000-000000000000', '/certificates/abc123', '/organizations/x', '/users/y', '/signing-accounts/z', '/sign-jobs/j', '/audit', '/stats', '/no/such/screen']) {
      const res = await html(p);
      expect(res.status, p).toBe(200);
      expect(res.type).toBe('text/html');
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("script-src 'self';");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("default-src 'none'");
      // Only external module scripts: nothing a strict CSP would block.
      expect(res.text).toMatch(/<script type="module" src="\/assets\/main-[A-Z0-9]+\.js"><\/script>/);
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).toContain('<html lang="vi">');
    }
  });

  it('redirects /admin to /', async () => {
    const res = await html('/admin');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/');
  });

  it('serves hashed assets for a year, an unknown asset is a 404 problem', async () => {
    const files = readdirSync(path.join(WEB_DIST, 'assets'));
    const js = files.find((f) => /^main-.*\.js$/.test(f))!;
    const css = files.find((f) => /^main-.*\.css$/.test(f))!;
    const script = await t.http().get(`/assets/${js}`);
    expect(script.status).toBe(200);
    expect(script.type).toBe('text/javascript');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await t.http().get(`/assets/${css}`)).type).toBe('text/css');
    // pdf.js's worker, started by the sign screen from our origin: a module worker needs a JavaScript type.
    const worker = await t.http().get(`/assets/${files.find((f) => /^pdf\.worker-[A-Z0-9]+\.mjs$/.test(f))!}`);
    expect(worker.status).toBe(200);
    expect(worker.type).toBe('text/javascript');
    expect(worker.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await t.http().get('/assets/main-NOPE.js');
    expect(missing.status).toBe(404);
    expect(missing.type).toBe('application/problem+json');
  });

  it('leaves API and PKI paths to their own 404 problems, even for a browser', async () => {
    for (const p of ['/api/v1/nope', '/pki/nope', '/api']) {
      const res = await html(p);
      expect(res.status, p).toBe(404);
      expect(res.type).toBe('application/problem+json');
    }
    // A non-browser client asking for an unknown path gets a problem, not the page; `/` is the page for anyone.
    const curl = await t.http().get('/requests/abc').set('Accept', '*/*');
    expect(curl.status).toBe(404);
    expect(curl.type).toBe('application/problem+json');
    const front = await t.http().get('/').set('Accept', '*/*');
    expect(front.status).toBe(200);
    expect(front.type).toBe('text/html');
  });

  it('keeps the first screen under 150 KB of gzipped JavaScript', async () => {
    const { gzipSync } = await import('node:zlib');
    const index = (await html('/')).text;
    const scripts = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    let total = 0;
    for (const s of scripts) total += gzipSync(Buffer.from((await t.http().get(s)).text)).length;
    expect(scripts.length).toBeGreaterThan(0);
    expect(total).toBeGreaterThan(1000);
    expect(total).toBeLessThan(150 * 1024);
  });
});
