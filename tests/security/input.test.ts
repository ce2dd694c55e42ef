import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { createLogger, redactUrl } from '../../src/log.js';
import { freshDatabase, seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { makeCsr, tokenRequest } from '../requests/support.js';

// Issue #13 items 3, 4 and 6: one text rule for every input, audit query bounds, bearer tokens
// from the header only and out of the logs.

let t: TestKyso;
let admin: string;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
const logLines: string[] = [];

beforeAll(async () => {
  t = await startTestKyso({ logDestination: { write: (line: string) => void logLines.push(line) }, env: { LOG_LEVEL: 'info' } });
  admin = await t.adminToken();
  tenant = await seedTenant(t, 'input');
});
afterAll(() => t?.close());

const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
const RLO = 'Tr\u202eường';

function expect400(res: { status: number; type: string; body: { status?: number } }): void {
  expect(res.status).toBe(400);
  expect(res.type).toBe('application/problem+json');
  expect(res.body.status).toBe(400);
}

describe('the text rule (item 3)', () => {
  it('refuses NUL in a login without a token, before any SQL', async () => {
    expect400(await t.http().post('/api/v1/auth/login').send({ username: NUL, password: 'x' }));
    expect400(await t.http().post('/api/v1/auth/login').send({ username: 'admin', password: LONE }));
  });

  for (const [what, value] of [
    ['NUL', NUL],
    ['a lone surrogate', LONE],
    ['a right-to-left override', RLO],
    ['a C1 control', 'a\u0085b'],
  ] as const) {
    it(`refuses ${what} in every organization field`, async () => {
      const base = { name: 'Sở Y tế', code: `T${Date.now()}`, sector: 'health', province: 'Hà Nội' };
      for (const field of ['name', 'code', 'sector', 'province'] as const) {
        const res = await t.http().post('/api/v1/organizations').set('Authorization', `Bearer ${admin}`).send({ ...base, [field]: value });
        expect400(res);
        expect(res.body.errors[0].path).toBe(field);
      }
    });
  }

  it('refuses bad text in users, sectors, trust anchors, reasons, subjects and carriers', async () => {
    const auth = { Authorization: `Bearer ${admin}` };
    expect400(await t.http().post('/api/v1/users').set(auth).send({ username: 'nul-user', password: 'long-enough-password-1', role: 'auditor', fullName: NUL }));
    expect400(await t.http().post('/api/v1/sectors').set(auth).send({ code: 'nul-sector', name: LONE }));
    expect400(await t.http().post('/api/v1/trust-anchors').set(auth).send({ name: NUL, pem: 'x' }));
    const { pem } = await makeCsr();
    const agency = { Authorization: `Bearer ${tenant.tokens.agency}` };
    const withName = tokenRequest(tenant.organizationId, pem, { subject: { commonName: LONE, uid: ['CCCD:001203004567'] } });
    expect400(await t.http().post('/api/v1/certificate-requests').set(agency).send(withName));
    const sim = tokenRequest(tenant.organizationId, pem, { medium: 'sim', msisdn: '84912345678', carrier: NUL });
    expect400(await t.http().post('/api/v1/certificate-requests').set(agency).send(sim));
    const ok = await t.http().post('/api/v1/certificate-requests').set(agency).send(tokenRequest(tenant.organizationId, pem));
    expect(ok.status).toBe(201);
    const officer = { Authorization: `Bearer ${tenant.tokens.officer}` };
    expect400(await t.http().post(`/api/v1/certificate-requests/${ok.body.id}/reject`).set(officer).send({ reason: NUL }));
    // A JSON key is text too.
    expect400(await t.http().post('/api/v1/sectors').set(auth).send({ code: 'k-sector', name: 'ok', [NUL]: 1 }));
  });

  it('refuses bad text in query parameters', async () => {
    const auth = { Authorization: `Bearer ${admin}` };
    expect400(await t.http().get('/api/v1/certificates?q=a%00b').set(auth));
    expect400(await t.http().get('/api/v1/certificates?sector=a%00b').set(auth));
    expect400(await t.http().get('/api/v1/audit?actor=a%00b').set(auth));
    expect400(await t.http().get('/api/v1/organizations?province=%E2%80%AEx').set(auth));
  });

  it('keeps Vietnamese names, line breaks in PEM and free text working', async () => {
    const res = await t
      .http()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'Trường Tiểu học Nguyễn Trãi — Đắk Lắk', code: `V${Date.now()}`, sector: 'education', province: 'Đắk Lắk' });
    expect(res.status).toBe(201);
  });

  it('never logs the bound values of a failed SQL statement', async () => {
    const db = await freshDatabase();
    const { knex, close } = await openDatabase({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    try {
      const row = { id: randomUUID(), username: 'x', password_hash: 'scrypt$SECRET-HASH-VALUE', created_at: new Date() };
      // A check violation: PostgreSQL's detail is "Failing row contains (…, scrypt$SECRET-HASH-VALUE, …)".
      const checkViolation = await knex('users').insert({ ...row, role: 'nobody' }).then(() => undefined, (e: Error) => e);
      // A type error: the message quotes the value.
      const typeError = await knex.raw('select ?::uuid', ['SECRET-HASH-VALUE']).then(() => undefined, (e: Error) => e);
      expect(checkViolation).toBeInstanceOf(Error);
      expect(typeError).toBeInstanceOf(Error);
      logger.error({ err: checkViolation }, 'unexpected error');
      logger.error({ err: typeError }, 'unexpected error');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('users_role_check');
      for (const line of lines) expect(line).not.toContain('SECRET-HASH-VALUE');
      // Other errors keep their message.
      logger.error({ err: new Error('plain SECRET-HASH-VALUE') }, 'x');
      expect(lines[2]).toContain('plain SECRET-HASH-VALUE');
    } finally {
      await close();
      await db.drop();
    }
  });
});

describe('audit query bounds (item 4)', () => {
  for (const query of ['cursor=9223372036854775807', 'cursor=99999999999999999999', 'from=0000-01-01', 'to=0000-01-01', 'from=0000-01-01T00:00:00Z', 'to=10000-01-01']) {
    it(`GET /api/v1/audit?${query} is a 400`, async () => {
      expect400(await t.http().get(`/api/v1/audit?${query}`).set('Authorization', `Bearer ${admin}`));
    });
  }
  it('still answers ordinary bounds', async () => {
    const res = await t.http().get('/api/v1/audit?from=2000-01-01&to=9999-12-31&cursor=9007199254740991').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
  });
});

describe('bearer tokens (item 6)', () => {
  it('are not accepted from the query string, and are redacted from the request log', async () => {
    const res = await t.http().get(`/api/v1/auth/me?access_token=${admin}`);
    expect(res.status).toBe(401);
    const withHeader = await t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${admin}`);
    expect(withHeader.status).toBe(200);
    const logged = logLines.filter((l) => l.includes('/api/v1/auth/me?'));
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(line).not.toContain(admin);
    expect(logged.some((l) => l.includes('access_token=[redacted]'))).toBe(true);
  });

  it('are not accepted from a JSON body', async () => {
    const res = await t.http().post('/api/v1/auth/logout').send({ access_token: admin });
    expect(res.status).toBe(401);
  });

  it('redactUrl keeps harmless parameters and hides secret-looking ones', () => {
    expect(redactUrl('/api/v1/certificates?q=huong&limit=10')).toBe('/api/v1/certificates?q=huong&limit=10');
    expect(redactUrl('/x?password=hunter2&token=abc&apiKey=1')).toBe('/x?password=[redacted]&token=[redacted]&apiKey=[redacted]');
    expect(redactUrl(`/x?q=${'A'.repeat(43)}`)).toBe('/x?q=[redacted]');
    expect(redactUrl('/x')).toBe('/x');
  });
});
