import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';

let t: TestKyso;
let admin: string;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;

beforeAll(async () => {
  t = await startTestKyso();
  admin = await t.adminToken();
  a = await seedTenant(t, 'a', { province: 'Hà Nội' });
  b = await seedTenant(t, 'b', { province: 'Huế', sector: 'health' });
});
afterAll(() => t?.close());

const token = (role: string) => (role === 'admin' ? admin : a.tokens[role as keyof typeof a.tokens]);

describe('role rights', () => {
  const ALL = ['admin', 'officer', 'agency', 'signer', 'auditor'];
  // [what, allowed roles, success status, the request as one role makes it]
  const actions: Array<[string, string[], number, (role: string) => Promise<{ status: number; type: string }>]> = [
    ['creating an organization', ['admin'], 201, (role) =>
      t.http().post('/api/v1/organizations').set('Authorization', `Bearer ${token(role)}`)
        .send({ name: `Sở Y tế ${role}`, code: `MNS-${role}`, sector: 'health', province: 'Cần Thơ' })],
    ['creating a user', ['admin'], 201, (role) =>
      t.http().post('/api/v1/users').set('Authorization', `Bearer ${token(role)}`)
        .send({ username: `new-${role}`, password: 'long-enough-password', role: 'officer' })],
    ['adding a sector', ['admin'], 201, (role) =>
      t.http().post('/api/v1/sectors').set('Authorization', `Bearer ${token(role)}`).send({ code: `sector-${role}`, name: 'Lĩnh vực mới' })],
    ['reading the audit trail', ['admin', 'auditor'], 200, (role) =>
      t.http().get('/api/v1/audit').set('Authorization', `Bearer ${token(role)}`)],
    ['verifying the audit chain', ['admin', 'auditor'], 200, (role) =>
      t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${token(role)}`)],
    ['reading the audit checkpoints', ['admin', 'auditor'], 200, (role) =>
      t.http().get('/api/v1/audit/checkpoints').set('Authorization', `Bearer ${token(role)}`)],
    ['editing an organization', ['admin'], 200, (role) =>
      t.http().patch(`/api/v1/organizations/${a.organizationId}`).set('Authorization', `Bearer ${token(role)}`).send({ name: `Trường THPT a (${role})` })],
  ];
  const cases = actions.flatMap(([what, allowed, ok, send]) =>
    ALL.map((role) => [role, what, allowed.includes(role) ? ok : 403, send] as const),
  );

  it.each(cases)('%s %s → %i', async (role, _what, status, send) => {
    const res = await send(role);
    expect(res.status).toBe(status);
    if (status === 403) expect(res.type).toBe('application/problem+json');
  });

  it('refuses a caller before reading its upload: a signer’s oversized CSV is a 403, not a 413', async () => {
    const res = await t
      .http()
      .post('/api/v1/signing-accounts/batch')
      .set('Authorization', `Bearer ${a.tokens.signer}`)
      .set('Content-Type', 'text/csv')
      .send('x'.repeat(21 * 1024 * 1024));
    expect(res.status).toBe(403);
    expect(res.type).toBe('application/problem+json');
  });

  it('answers a bad page cursor of the audit routes with 400, whatever its length', async () => {
    for (const path of ['/api/v1/audit', '/api/v1/audit/checkpoints']) {
      for (const cursor of ['x', '9'.repeat(30), '-1']) {
        const res = await t.http().get(`${path}?cursor=${cursor}`).set('Authorization', `Bearer ${admin}`);
        expect(res.status, `${path} ${cursor}`).toBe(400);
        expect(res.type).toBe('application/problem+json');
      }
    }
  });

  it('every role reads the sectors', async () => {
    for (const role of ['admin', 'officer', 'agency', 'signer', 'auditor']) {
      const res = await t.http().get('/api/v1/sectors').set('Authorization', `Bearer ${token(role)}`);
      expect(res.status).toBe(200);
      expect(res.body.map((s: { code: string }) => s.code)).toEqual(
        expect.arrayContaining(['education', 'health', 'finance', 'justice', 'home-affairs', 'other']),
      );
    }
  });
});

describe('tenant isolation', () => {
  it('an agency user lists only its own organization', async () => {
    const res = await t.http().get('/api/v1/organizations').set('Authorization', `Bearer ${a.tokens.agency}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((o: { id: string }) => o.id)).toEqual([a.organizationId]);
  });

  it('another organization is a 404 for agency and signer users, visible to staff', async () => {
    for (const role of ['agency', 'signer'] as const) {
      const res = await t.http().get(`/api/v1/organizations/${b.organizationId}`).set('Authorization', `Bearer ${a.tokens[role]}`);
      expect(res.status).toBe(404);
      expect(res.type).toBe('application/problem+json');
      const own = await t.http().get(`/api/v1/organizations/${a.organizationId}`).set('Authorization', `Bearer ${a.tokens[role]}`);
      expect(own.status).toBe(200);
    }
    for (const role of ['officer', 'auditor'] as const) {
      const res = await t.http().get(`/api/v1/organizations/${b.organizationId}`).set('Authorization', `Bearer ${a.tokens[role]}`);
      expect(res.status).toBe(200);
      expect(res.body.province).toBe('Huế');
    }
  });

  it('an agency user sees only its own organization’s users; another’s user is a 404', async () => {
    const res = await t.http().get('/api/v1/users').set('Authorization', `Bearer ${a.tokens.agency}`);
    expect(res.status).toBe(200);
    expect(new Set(res.body.items.map((u: { organizationId: string }) => u.organizationId))).toEqual(new Set([a.organizationId]));
    const other = await t.http().get(`/api/v1/users/${b.userIds.signer}`).set('Authorization', `Bearer ${a.tokens.agency}`);
    expect(other.status).toBe(404);
  });

  it('answers 404 for ids that cannot exist and 400 for a malformed cursor', async () => {
    expect((await t.http().get('/api/v1/organizations/not-a-uuid').set('Authorization', `Bearer ${admin}`)).status).toBe(404);
    expect((await t.http().get('/api/v1/users/not-a-uuid').set('Authorization', `Bearer ${admin}`)).status).toBe(404);
    expect((await t.http().get('/api/v1/organizations?cursor=not-a-uuid').set('Authorization', `Bearer ${admin}`)).status).toBe(400);
  });

  it('lists organizations page by page', async () => {
    const first = await t.http().get('/api/v1/organizations?limit=1').set('Authorization', `Bearer ${admin}`);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await t.http().get(`/api/v1/organizations?limit=1&cursor=${first.body.nextCursor}`).set('Authorization', `Bearer ${admin}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });
});

describe('users and organizations validation', () => {
  it('requires an organization for agency and signer users', async () => {
    const res = await t.http().post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ username: 'lonely-agency', password: 'long-enough-password', role: 'agency' });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('organizationId');
  });

  it('refuses short passwords', async () => {
    const res = await t.http().post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ username: 'shorty', password: 'short', role: 'auditor' });
    expect(res.status).toBe(422);
  });

  it('refuses a taken username with 409', async () => {
    const res = await t.http().post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ username: 'agency-a', password: 'long-enough-password', role: 'auditor' });
    expect(res.status).toBe(409);
  });

  it('refuses an unknown sector with 422 and a duplicate code with 409', async () => {
    const unknown = await t.http().post('/api/v1/organizations').set('Authorization', `Bearer ${admin}`).send({ name: 'X', code: 'X1', sector: 'space', province: 'Hà Nội' });
    expect(unknown.status).toBe(422);
    const org = await t.http().get(`/api/v1/organizations/${a.organizationId}`).set('Authorization', `Bearer ${admin}`);
    const dup = await t.http().post('/api/v1/organizations').set('Authorization', `Bearer ${admin}`).send({ name: 'Y', code: org.body.code, sector: 'education', province: 'Hà Nội' });
    expect(dup.status).toBe(409);
  });
});
