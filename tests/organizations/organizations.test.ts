import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr, tokenRequest } from '../requests/support.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';

let t: TestKyso;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
let admin: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await startTestKyso();
  admin = await t.adminToken();
  tenant = await seedTenant(t, 'org', { province: 'Bình Định' });
});
afterAll(async () => t?.close());

describe('GET /api/v1/provinces', () => {
  it('lists the 63 provinces before the 2025 mergers and the 34 after, each name once', async () => {
    const res = await t.http().get('/api/v1/provinces').set(auth(tenant.tokens.agency));
    expect(res.status).toBe(200);
    const provinces = res.body as Array<{ code: string; name: string; current: boolean; mergedInto?: string }>;
    expect(provinces.filter((p) => p.current)).toHaveLength(34);
    // Huế (a centrally-run city since January 2025) is the one current name that was not a province before.
    expect(provinces.filter((p) => p.name !== 'Huế')).toHaveLength(63);
    expect(new Set(provinces.map((p) => p.code)).size).toBe(provinces.length);
    expect(provinces.find((p) => p.name === 'Bình Dương')).toEqual({ code: 'binh-duong', name: 'Bình Dương', current: false, mergedInto: 'Hồ Chí Minh' });
    expect(provinces.find((p) => p.name === 'Hà Nội')).toEqual({ code: 'ha-noi', name: 'Hà Nội', current: true });
    // Every merged province points at a current one.
    const current = new Set(provinces.filter((p) => p.current).map((p) => p.name));
    expect(provinces.filter((p) => p.mergedInto && !current.has(p.mergedInto))).toEqual([]);
    expect((await t.http().get('/api/v1/provinces')).status).toBe(401);
  });
});

describe('organization provinces', () => {
  const create = (province: string) =>
    t.http().post('/api/v1/organizations').set(auth(admin)).send({ name: 'Sở Y tế', code: `MNS${Math.random()}`, sector: 'health', province });

  it('refuses a name that is not on the list, naming the close match', async () => {
    const res = await create('Binh Duong');
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toContain('Bình Dương');
    expect(res.body.errors).toEqual([{ path: 'province', message: 'unknown province; did you mean "Bình Dương"?' }]);
    const typo = await create('Ha Nọi');
    expect(typo.status).toBe(422);
    expect(typo.body.detail).toContain('Hà Nội');
    const unknown = await create('Paris');
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).not.toContain('did you mean');
  });

  it('accepts provinces from before and after the mergers', async () => {
    expect((await create('Bình Dương')).status).toBe(201);
    expect((await create('Hồ Chí Minh')).status).toBe(201);
  });

  it('stores a decomposed (NFD) name as listed, so that lists and statistics find it under its province', async () => {
    const decomposed = 'Bình Dương'.normalize('NFD');
    expect(decomposed).not.toBe('Bình Dương');
    const created = await create(decomposed);
    expect(created.status).toBe(201);
    expect(created.body.province).toBe('Bình Dương');
    const stored = await t.kyso.services.knex('organizations').where({ id: created.body.id }).first('province');
    expect(stored.province).toBe('Bình Dương');
    const listed = await t.http().get('/api/v1/organizations').query({ province: 'Bình Dương', limit: 100 }).set(auth(admin));
    expect(listed.body.items.map((o: { id: string }) => o.id)).toContain(created.body.id);

    const edited = await t.http().patch(`/api/v1/organizations/${created.body.id}`).set(auth(admin)).send({ province: 'Hồ Chí Minh'.normalize('NFD') });
    expect(edited.status).toBe(200);
    expect(edited.body.province).toBe('Hồ Chí Minh');
    expect((await t.kyso.services.knex('organizations').where({ id: created.body.id }).first('province')).province).toBe('Hồ Chí Minh');
  });
});

describe('PATCH /api/v1/organizations/:id', () => {
  it('edits name, sector, province and parent; certificates keep what they were issued with', async () => {
    const { pem } = await makeCsr();
    const submitted = await t.http().post('/api/v1/certificate-requests').set(auth(tenant.tokens.agency)).send(tokenRequest(tenant.organizationId, pem));
    const approved = await t.http().post(`/api/v1/certificate-requests/${submitted.body.id}/approve`).set(auth(tenant.tokens.officer));
    expect(approved.status).toBe(200);
    const serial = approved.body.certificate.serial;

    const parent = await t.http().post('/api/v1/organizations').set(auth(admin)).send({ name: 'Sở Giáo dục', code: 'SGD-GL', sector: 'education', province: 'Gia Lai' });
    const res = await t
      .http()
      .patch(`/api/v1/organizations/${tenant.organizationId}`)
      .set(auth(admin))
      .send({ name: 'Trường THPT Quy Nhơn', sector: 'health', province: 'Gia Lai', parentId: parent.body.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: tenant.organizationId, name: 'Trường THPT Quy Nhơn', sector: 'health', province: 'Gia Lai', parentId: parent.body.id });
    expect((await t.http().get(`/api/v1/organizations/${tenant.organizationId}`).set(auth(admin))).body.province).toBe('Gia Lai');

    const cert = await t.http().get(`/api/v1/certificates/${serial}`).set(auth(admin));
    expect(cert.body.sector).toBe('education');

    const audit = await t.http().get('/api/v1/audit?action=organization.update').set(auth(admin));
    expect(audit.body.items[0].details.province).toEqual({ from: 'Bình Định', to: 'Gia Lai' });

    // Clearing the parent.
    const cleared = await t.http().patch(`/api/v1/organizations/${tenant.organizationId}`).set(auth(admin)).send({ parentId: null });
    expect(cleared.body.parentId).toBeNull();
  });

  it('refuses bad edits with the right status', async () => {
    const patch = (id: string, body: unknown, token = admin) => t.http().patch(`/api/v1/organizations/${id}`).set(auth(token)).send(body as object);
    const id = tenant.organizationId;
    expect((await patch(id, { province: 'Binh Duong' })).status).toBe(422);
    expect((await patch(id, { sector: 'no-such-sector' })).status).toBe(422);
    expect((await patch(id, { parentId: id })).status).toBe(422);
    const child = await t.http().post('/api/v1/organizations').set(auth(admin)).send({ name: 'Tổ Toán', code: 'TO-TOAN', sector: 'education', province: 'Gia Lai', parentId: id });
    expect((await patch(id, { parentId: child.body.id })).status).toBe(422);
    expect((await patch(id, {})).status).toBe(400);
    expect((await patch(id, { code: 'X' })).status).toBe(400);
    expect((await patch(id, { name: '' })).status).toBe(400);
    expect((await patch('00000000-0000-0000-0000-000000000000', { name: 'X' })).status).toBe(404);
    expect((await patch('not-a-uuid', { name: 'X' })).status).toBe(404);
    expect((await patch(id, { name: 'X' }, tenant.tokens.officer)).status).toBe(403);
    expect((await patch(id, { name: 'X' }, tenant.tokens.agency)).status).toBe(403);
  });
});

describe('certificate search', () => {
  it('ignores diacritics and case, and finds serial and fingerprint prefixes', async () => {
    const issue = async (commonName: string, uid: string) => {
      const { pem } = await makeCsr();
      const s = await t
        .http()
        .post('/api/v1/certificate-requests')
        .set(auth(tenant.tokens.agency))
        .send(tokenRequest(tenant.organizationId, pem, { subject: { commonName, uid: [uid] } }));
      expect(s.status).toBe(201);
      const a = await t.http().post(`/api/v1/certificate-requests/${s.body.id}/approve`).set(auth(tenant.tokens.officer));
      expect(a.status).toBe(200);
      return a.body.certificate.serial as string;
    };
    const huong = await issue('Trần Thị Hương', 'CCCD:001203009991');
    const dang = await issue('ĐẶNG VĂN ƯỚC', 'CCCD:001203009992');
    const search = async (q: string) => {
      const res = await t.http().get(`/api/v1/certificates?q=${encodeURIComponent(q)}&limit=100`).set(auth(tenant.tokens.officer));
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ serial: string }>).map((c) => c.serial);
    };
    expect(await search('huong')).toContain(huong);
    expect(await search('HUONG')).toContain(huong);
    expect(await search('tran thi huong')).toEqual([huong]);
    expect(await search('Hương')).toContain(huong);
    expect(await search('hướng')).toContain(huong);
    expect(await search('dang van uoc')).toEqual([dang]);
    // Zeros alone are no serial prefix (serials are stored without leading zeros): they matched every certificate.
    expect(await search('000000')).not.toContain(huong);
    expect(await search('đặng văn ước')).toEqual([dang]);
    expect(await search('huong')).not.toContain(dang);
    // NFD input (combining marks) folds the same way.
    expect(await search('Hương'.normalize('NFD'))).toContain(huong);
    expect(await search('009992')).toEqual([dang]);

    expect(await search(huong.slice(0, 8))).toEqual([huong]);
    expect(await search(huong.slice(0, 8).toUpperCase())).toEqual([huong]);
    expect(await search(huong)).toEqual([huong]);
    const cert = await t.http().get(`/api/v1/certificates/${huong}`).set(auth(tenant.tokens.officer));
    const fingerprint: string = cert.body.fingerprint;
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(await search(fingerprint.slice(0, 10))).toEqual([huong]);
    // As browsers and openssl print it: upper case with colons.
    expect(await search(fingerprint.slice(0, 12).toUpperCase().match(/../g)!.join(':'))).toEqual([huong]);
    // LIKE wildcards are literal.
    expect(await search('%')).toEqual([]);
    expect(await search('_')).toEqual([]);
    // An agency's search stays within its organization.
    const other = await seedTenant(t, 'other');
    const theirs = await t.http().get('/api/v1/certificates?q=huong').set(auth(other.tokens.agency));
    expect(theirs.body.items).toEqual([]);
  });
});

describe('what the web screens read', () => {
  it('a request names its CSR key; a certificate lists its status history', async () => {
    const { pem } = await makeCsr('rsa');
    const s = await t.http().post('/api/v1/certificate-requests').set(auth(tenant.tokens.agency)).send(tokenRequest(tenant.organizationId, pem));
    expect(s.status).toBe(201);
    expect(s.body.publicKey).toBe('RSA-2048');
    expect((await t.http().get(`/api/v1/certificate-requests/${s.body.id}`).set(auth(tenant.tokens.officer))).body.publicKey).toBe('RSA-2048');
    const approved = await t.http().post(`/api/v1/certificate-requests/${s.body.id}/approve`).set(auth(tenant.tokens.officer));
    const serial = approved.body.certificate.serial;
    for (const [action, body] of [['suspend', {}], ['resume', {}], ['revoke', { reason: 'superseded' }]] as const) {
      expect((await t.http().post(`/api/v1/certificates/${serial}/${action}`).set(auth(tenant.tokens.officer)).send(body)).status).toBe(200);
    }
    const cert = await t.http().get(`/api/v1/certificates/${serial}`).set(auth(tenant.tokens.agency));
    expect(cert.body.history.map((h: { status: string; reason?: string }) => [h.status, h.reason ?? null])).toEqual([
      ['active', null],
      ['suspended', 'certificateHold'],
      ['active', null],
      ['revoked', 'superseded'],
    ]);
    const times = cert.body.history.map((h: { at: string }) => Date.parse(h.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
