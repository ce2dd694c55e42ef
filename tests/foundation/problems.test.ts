import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/app.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';

// A route that fails unexpectedly, to prove a 500 is a problem document and the process survives.
const boom: RouteModule = (route) =>
  route({ method: 'get', path: '/test/boom', summary: 'fails', tags: ['test'], auth: false }, async () => {
    throw new Error('kaboom: internal detail that must not leak');
  });

let t: TestKyso;
let admin: string;
let tenant: Awaited<ReturnType<typeof seedTenant>>;

beforeAll(async () => {
  t = await startTestKyso({ modules: [boom] });
  admin = await t.adminToken();
  tenant = await seedTenant(t, 'p');
});
afterAll(() => t?.close());

/** Asserts the RFC 9457 shape and returns the body. */
function expectProblem(res: { status: number; type: string; body: Record<string, unknown>; headers: Record<string, string> }, status: number) {
  expect(res.status).toBe(status);
  expect(res.type).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(res.headers['x-request-id']).toBeTruthy();
  return res.body;
}

describe('problem+json for every error class', () => {
  it('400 for malformed JSON', async () => {
    const res = await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"username": ');
    expect(expectProblem(res, 400).detail).toMatch(/not valid JSON/);
  });

  it('400 with per-field errors for invalid input', async () => {
    const res = await t.http().post('/api/v1/organizations').set('Authorization', `Bearer ${admin}`).send({ name: '', sector: 7 });
    const body = expectProblem(res, 400);
    const paths = (body.errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'code', 'sector', 'province']));
  });

  it('401 without credentials', async () => {
    expectProblem(await t.http().get('/api/v1/users'), 401);
  });

  it('403 for a role that may not', async () => {
    expectProblem(await t.http().post('/api/v1/sectors').set('Authorization', `Bearer ${tenant.tokens.officer}`).send({ code: 'abc', name: 'x' }), 403);
  });

  it('404 for an unknown route and an unknown resource', async () => {
    expectProblem(await t.http().get('/api/v1/nothing-here').set('Authorization', `Bearer ${admin}`), 404);
    expectProblem(await t.http().get('/api/v1/organizations/00000000-0000-4000-8000-000000000000').set('Authorization', `Bearer ${admin}`), 404);
    expectProblem(await t.http().get('/pki/ca/no-such-ca.crt'), 404);
  });

  it('409 for a state conflict', async () => {
    expectProblem(await t.http().post('/api/v1/sectors').set('Authorization', `Bearer ${admin}`).send({ code: 'education', name: 'again' }), 409);
  });

  it('413 for a JSON body over 20 MB', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(21 * 1024 * 1024), password: 'y' });
    const res = await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send(big);
    expectProblem(res, 413);
  });

  it('422 for a well-formed request that policy refuses', async () => {
    expectProblem(await t.http().post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ username: 'weak-one', password: 'short', role: 'auditor' }), 422);
  });

  it('429 with Retry-After when throttled', async () => {
    for (let i = 0; i < 5; i++) await t.http().post('/api/v1/auth/login').send({ username: 'officer-p', password: 'not-the-password' });
    const res = await t.http().post('/api/v1/auth/login').send({ username: 'officer-p', password: 'not-the-password' });
    expectProblem(res, 429);
    expect(res.headers['retry-after']).toBeTruthy();
  });

  it('500 for an unexpected error, without leaking it, and the service keeps running', async () => {
    const res = await t.http().get('/test/boom');
    const body = expectProblem(res, 500);
    expect(JSON.stringify(body)).not.toMatch(/kaboom/);
    expect((await t.http().get('/healthz')).status).toBe(200);
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    expect((await t.http().get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    // Replaced by a fresh uuid (a hex uuid may well contain "bad": compare the whole value).
    expect((await t.http().get('/healthz').set('X-Request-Id', 'bad id with spaces & $ymbols')).headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });
});

describe('service endpoints', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await t.http().get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await t.http().get('/readyz')).body).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI document describing the routes', async () => {
    const res = await t.http().get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/organizations/{id}', '/pki/ca/{name}.crt']));
    expect(res.body.paths['/api/v1/organizations'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['name', 'code', 'sector', 'province']),
    );
    const ui = await t.http().get('/api/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger-ui/i);
  });

  it('exposes Prometheus metrics with request counts by route', async () => {
    await t.http().get('/api/v1/sectors').set('Authorization', `Bearer ${admin}`);
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/kyso_http_requests_total\{method="GET",route="\/api\/v1\/sectors",status="200"\} \d+/);
    expect(res.text).toMatch(/kyso_http_request_duration_seconds_bucket/);
  });
});
