import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { makeCsr, tokenRequest } from '../requests/support.js';

// Issue #13 item 9: who may do what.

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
let t: TestKyso;
let open: TestKyso;
let admin: string;
let a: Awaited<ReturnType<typeof seedTenant>>;

beforeAll(async () => {
  t = await startTestKyso({ env: { KYSO_METRICS_TOKEN: METRICS_TOKEN } });
  open = await startTestKyso();
  admin = await t.adminToken();
  a = await seedTenant(t, 'authz');
});
afterAll(async () => {
  await t?.close();
  await open?.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('four eyes', () => {
  for (const who of ['officer', 'admin'] as const) {
    it(`an ${who} may not approve a request it submitted (403); someone else may`, async () => {
      const submitter = who === 'admin' ? admin : a.tokens.officer;
      const other = who === 'admin' ? a.tokens.officer : admin;
      const { pem } = await makeCsr();
      const req = await t.http().post('/api/v1/certificate-requests').set(bearer(submitter)).send(tokenRequest(a.organizationId, pem));
      expect(req.status).toBe(201);
      const own = await t.http().post(`/api/v1/certificate-requests/${req.body.id}/approve`).set(bearer(submitter));
      expect(own.status).toBe(403);
      expect(own.type).toBe('application/problem+json');
      const batch = await t.http().post('/api/v1/certificate-requests/approve-batch').set(bearer(submitter)).send({ ids: [req.body.id] });
      expect(batch.body.results[0]).toMatchObject({ status: 'error', error: { status: 403 } });
      const ok = await t.http().post(`/api/v1/certificate-requests/${req.body.id}/approve`).set(bearer(other));
      expect(ok.status).toBe(200);
      expect(ok.body.status).toBe('issued');
    });
  }
});

describe('roles before bodies', () => {
  for (const [method, path, token] of [
    ['post', '/api/v1/certificates/import', () => a.tokens.agency],
    ['post', '/api/v1/certificates/import/batch', () => a.tokens.signer],
    ['post', '/api/v1/users', () => a.tokens.officer],
    ['post', '/api/v1/organizations', () => a.tokens.agency],
    ['post', '/api/v1/sectors', () => a.tokens.auditor],
    ['post', '/api/v1/trust-anchors', () => a.tokens.officer],
    ['post', '/api/v1/signing-accounts', () => a.tokens.agency],
    ['post', '/api/v1/certificate-requests', () => a.tokens.signer],
    ['post', '/api/v1/certificate-requests/approve-batch', () => a.tokens.agency],
    ['post', '/api/v1/certificates/00ff/revoke', () => a.tokens.agency],
    ['post', '/api/v1/certificates/00ff/pkcs12', () => a.tokens.officer],
    ['get', '/api/v1/audit?cursor=x', () => a.tokens.officer],
    ['get', '/api/v1/stats/issuance?from=nonsense', () => a.tokens.agency],
  ] as const) {
    it(`${method.toUpperCase()} ${path} with a malformed body is 403 for a role that may not call it`, async () => {
      const res = await t.http()[method](path).set(bearer(token())).send({ nonsense: true });
      expect(res.status).toBe(403);
    });
  }
});

describe('/metrics', () => {
  it('needs the KYSO_METRICS_TOKEN bearer token when one is set', async () => {
    expect((await t.http().get('/metrics')).status).toBe(401);
    expect((await t.http().get('/metrics').set(bearer('wrong-token-wrong-token-wrong'))).status).toBe(401);
    expect((await t.http().get('/metrics').set(bearer(admin))).status).toBe(401);
    const ok = await t.http().get('/metrics').set(bearer(METRICS_TOKEN));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('kyso_http_requests_total');
  });

  it('answers only loopback clients when no token is set', async () => {
    expect((await open.http().get('/metrics')).status).toBe(200);
    // a client forwarded by a proxy on this host is not local
    const forwarded = await open.http().get('/metrics').set('X-Forwarded-For', '203.0.113.5');
    expect(forwarded.status).toBe(403);
    expect(forwarded.type).toBe('application/problem+json');
  });
});
