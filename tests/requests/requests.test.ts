import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { issueToken, makeCsr, openssl, tokenRequest } from './support.js';

let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;
let admin: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await startTestKyso();
  admin = await t.adminToken();
  a = await seedTenant(t, 'req-a', { name: 'Trường THPT Chu Văn An', province: 'Hà Nội' });
  b = await seedTenant(t, 'req-b', { name: 'Bệnh viện Đa khoa Tỉnh', sector: 'health', province: 'Thừa Thiên Huế' });
});
afterAll(async () => t?.close());

const submit = (token: string, body: unknown) => t.http().post('/api/v1/certificate-requests').set(auth(token)).send(body as object);

describe('submitting requests: roles and tenancy', () => {
  it.each([
    ['agency of the organization', () => a.tokens.agency, 201],
    ['officer', () => a.tokens.officer, 201],
    ['admin', () => admin, 201],
    ['agency of another organization (404: not theirs)', () => b.tokens.agency, 404],
    ['signer', () => a.tokens.signer, 403],
    ['auditor', () => a.tokens.auditor, 403],
  ])('%s', async (_who, token, status) => {
    const { pem } = await makeCsr();
    const res = await submit(token(), tokenRequest(a.organizationId, pem));
    expect(res.status).toBe(status);
    if (status === 201) expect(res.body).toMatchObject({ status: 'submitted', kind: 'new', holder: 'individual', medium: 'token', organizationId: a.organizationId });
    else expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('needs a token (401)', async () => {
    const { pem } = await makeCsr();
    expect((await t.http().post('/api/v1/certificate-requests').send(tokenRequest(a.organizationId, pem))).status).toBe(401);
  });

  it('404s an unknown organization', async () => {
    const { pem } = await makeCsr();
    expect((await submit(admin, tokenRequest('00000000-0000-4000-8000-000000000000', pem))).status).toBe(404);
  });
});

describe('the subject follows the Vietnamese conventions', () => {
  it.each([
    ['CCCD of 11 digits', { uid: 'CCCD:00120300456' }, 'subject.uid'],
    ['CMND of 10 digits', { uid: 'CMND:0012030045' }, 'subject.uid'],
    ['an unknown prefix', { uid: 'CMT:001203004567' }, 'subject.uid'],
    ['no prefix', { uid: '001203004567' }, 'subject.uid'],
    ['a person without a personal identifier', { uid: 'MST:0100686209' }, 'subject.uid'],
    ['the same identifier twice', { uid: ['CCCD:001203004567', 'CCCD:001203004567'] }, 'subject.uid.1'],
    ['MST with a 2-digit branch', { uid: ['CCCD:001203004567', 'MST:0100686209-19'] }, 'subject.uid.1'],
    ['MNS of 6 digits', { uid: ['CCCD:001203004567', 'MNS:123456'] }, 'subject.uid.1'],
    ['a passport of digits only', { uid: 'HC:1234567' }, 'subject.uid'],
    ['a common name over 64 characters', { commonName: 'Nguyễn '.repeat(10) + 'Văn A' }, 'subject.commonName'],
    ['an e-mail that is not one', { email: 'nguyen at example' }, 'subject.email'],
  ])('refuses %s with a 422 naming the field', async (_case, change, path) => {
    const { pem } = await makeCsr();
    const body = tokenRequest(a.organizationId, pem);
    body.subject = { ...(body.subject as object), ...change };
    const res = await submit(a.tokens.agency, body);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('refuses an organization certificate carrying a CCCD', async () => {
    const res = await submit(a.tokens.agency, { kind: 'new', holder: 'organization', medium: 'file', organizationId: a.organizationId, subject: { commonName: 'Trường THPT Chu Văn An', uid: ['MST:0100686209', 'CCCD:001203004567'] } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/MST:\/MNS:/);
  });

  it.each([
    ['CCCD beside MST of the organization', ['MST:0100686209', 'CCCD:001203004567']],
    ['CMND of 9 digits', 'CMND:012345678'],
    ['a passport', 'HC:B1234567'],
    ['a branch tax code', ['CCCD:001203004567', 'MST:0100686209-199']],
  ])('accepts %s', async (_case, uid) => {
    const { pem } = await makeCsr();
    const body = tokenRequest(a.organizationId, pem);
    body.subject = { ...(body.subject as object), uid };
    expect((await submit(a.tokens.agency, body)).status).toBe(201);
  });

  it('issues C=VN, ST and O from the organization, UTF-8 names, every UID, and replaces the CSR subject', async () => {
    const csr = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', { file: 'k.pem', content: '' }, '-subj', '/CN=whatever the client put/O=Evil Corp']);
    const body = tokenRequest(a.organizationId, csr, {
      subject: { commonName: 'Phạm Thị Ngọc Ánh', uid: ['MST:0100686209', 'CCCD:001203004567'], title: 'Phó Hiệu trưởng', organizationalUnit: 'Tổ Ngữ văn', locality: 'Quận Đống Đa', email: 'anh.ptn@example.edu.vn' },
    });
    const submitted = await submit(a.tokens.agency, body);
    expect(submitted.status).toBe(201);
    const approved = await t.http().post(`/api/v1/certificate-requests/${submitted.body.id}/approve`).set(auth(a.tokens.officer));
    expect(approved.status).toBe(200);
    const text = openssl(['x509', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space', '-in', { file: 'c.pem', content: approved.body.certificate.pem }]);
    expect(text.trim()).toBe(
      'subject=C=VN, ST=Hà Nội, L=Quận Đống Đa, O=Trường THPT Chu Văn An, OU=Tổ Ngữ văn, title=Phó Hiệu trưởng, CN=Phạm Thị Ngọc Ánh, UID=MST:0100686209, UID=CCCD:001203004567',
    );
    const asn1 = openssl(['asn1parse', '-in', { file: 'c.pem', content: approved.body.certificate.pem }]);
    expect(asn1).toMatch(/UTF8STRING\s+:Phạm Thị Ngọc Ánh/);
    expect(asn1).toMatch(/PRINTABLESTRING\s+:VN/);
  });
});

describe('CSR checks', () => {
  const csrWith = (args: string[]) => openssl(['req', '-new', '-nodes', '-keyout', { file: 'k.pem', content: '' }, '-subj', '/CN=test', ...args]);

  it.each([
    ['RSA 1024', ['-newkey', 'rsa:1024'], /1024 bits is too weak/],
    ['SHA-1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha1'], /SHA-1/],
    ['P-521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'], /curve secp521r1 \(P-521\) is not accepted/],
    ['Ed25519', ['-newkey', 'ed25519'], /ed25519 keys are not accepted/],
  ])('refuses %s with a 422 that says why', async (_name, args, why) => {
    const res = await submit(a.tokens.agency, tokenRequest(a.organizationId, csrWith(args)));
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(why);
  });

  it.each([
    ['RSA 2048', ['-newkey', 'rsa:2048']],
    ['RSA 4096 with SHA-512', ['-newkey', 'rsa:4096', '-sha512']],
    ['P-384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384']],
  ])('accepts %s made by openssl (which verifies it too)', async (_name, args) => {
    const csr = csrWith(args);
    expect(openssl(['req', '-verify', '-noout', '-in', { file: 'r.pem', content: csr }], undefined)).toBeDefined();
    expect((await submit(a.tokens.agency, tokenRequest(a.organizationId, csr))).status).toBe(201);
  });

  it('accepts base64 DER', async () => {
    const { pem } = await makeCsr();
    const der = pem.replace(/-----[^-]+-----|\s/g, '');
    expect((await submit(a.tokens.agency, tokenRequest(a.organizationId, der))).status).toBe(201);
  });

  it('refuses a CSR whose signature does not verify (no proof of possession)', async () => {
    const { pem } = await makeCsr();
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0xff; // inside the signature
    const res = await submit(a.tokens.agency, tokenRequest(a.organizationId, der.toString('base64')));
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/proof of possession/);
  });

  it.each([
    ['text', 'hello'],
    ['a PEM of something else', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----'],
    ['truncated DER', 'MIIBBjCBrQIBADA='],
  ])('answers garbage (%s) with a 400', async (_name, csr) => {
    expect((await submit(a.tokens.agency, tokenRequest(a.organizationId, csr))).status).toBe(400);
  });

  it('needs a CSR for token and SIM, refuses one for file', async () => {
    const { pem } = await makeCsr();
    const noCsr = tokenRequest(a.organizationId, pem);
    delete noCsr.csr;
    expect((await submit(a.tokens.agency, noCsr)).status).toBe(422);
    expect((await submit(a.tokens.agency, { ...tokenRequest(a.organizationId, pem), medium: 'file' })).status).toBe(422);
  });
});

describe('SIM requests', () => {
  it.each([
    ['no msisdn', { carrier: 'Viettel' }, 'msisdn'],
    ['a local number', { msisdn: '0912345678', carrier: 'Viettel' }, 'msisdn'],
    ['84 and 8 digits', { msisdn: '8491234567', carrier: 'Viettel' }, 'msisdn'],
    ['no carrier', { msisdn: '84912345678' }, 'carrier'],
  ])('refuses %s', async (_name, extra, path) => {
    const { pem } = await makeCsr();
    const res = await submit(a.tokens.agency, tokenRequest(a.organizationId, pem, { medium: 'sim', ...extra }));
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('issues a SIM certificate that records the phone and carrier', async () => {
    const { pem } = await makeCsr();
    const res = await submit(a.tokens.agency, tokenRequest(a.organizationId, pem, { medium: 'sim', msisdn: '84912345678', carrier: 'Viettel' }));
    expect(res.status).toBe(201);
    const approved = await t.http().post(`/api/v1/certificate-requests/${res.body.id}/approve`).set(auth(a.tokens.officer));
    const cert = await t.http().get(`/api/v1/certificates/${approved.body.certificate.serial}`).set(auth(a.tokens.agency));
    expect(cert.body).toMatchObject({ medium: 'sim', msisdn: '84912345678', carrier: 'Viettel' });
  });

  it('refuses msisdn on a token request', async () => {
    const { pem } = await makeCsr();
    expect((await submit(a.tokens.agency, tokenRequest(a.organizationId, pem, { msisdn: '84912345678' }))).status).toBe(422);
  });

  it('sends remote certificates to signing accounts', async () => {
    const res = await submit(a.tokens.agency, { kind: 'new', holder: 'individual', medium: 'remote', organizationId: a.organizationId, subject: { commonName: 'A', uid: 'CCCD:001203004567' } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/signing-accounts/);
  });
});

describe('the request state machine', () => {
  async function submitted(token = a.tokens.agency): Promise<string> {
    const { pem } = await makeCsr();
    const res = await submit(token, tokenRequest(a.organizationId, pem));
    expect(res.status).toBe(201);
    return res.body.id;
  }
  const post = (id: string, verb: string, token: string, body?: object) =>
    t.http().post(`/api/v1/certificate-requests/${id}/${verb}`).set(auth(token)).send(body ?? {});

  it('approve issues once; a second approval is a 409', async () => {
    const id = await submitted();
    const first = await post(id, 'approve', a.tokens.officer);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id, status: 'issued', certificateSerial: first.body.certificate.serial });
    expect(first.body.decidedBy).toBe(a.userIds.officer);
    // The request's page names the people of its history (issue #10), for the clerk too.
    const seen = await t.http().get(`/api/v1/certificate-requests/${id}`).set(auth(a.tokens.agency));
    expect(seen.body).toMatchObject({ requestedByName: 'Nguyễn Văn agency', decidedByName: 'Nguyễn Văn officer' });
    expect((await post(id, 'approve', a.tokens.officer)).status).toBe(409);
    expect((await post(id, 'reject', a.tokens.officer, { reason: 'late' })).status).toBe(409);
    expect((await post(id, 'cancel', a.tokens.agency)).status).toBe(409);
  });

  it('reject needs a reason and ends the request', async () => {
    const id = await submitted();
    expect((await post(id, 'reject', a.tokens.officer)).status).toBe(400);
    const res = await post(id, 'reject', a.tokens.officer, { reason: 'CCCD không khớp hồ sơ' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', reason: 'CCCD không khớp hồ sơ' });
    expect((await post(id, 'approve', a.tokens.officer)).status).toBe(409);
  });

  it('only the requester cancels', async () => {
    const id = await submitted();
    expect((await post(id, 'cancel', a.tokens.officer)).status).toBe(403);
    expect((await post(id, 'cancel', b.tokens.agency)).status).toBe(404);
    const res = await post(id, 'cancel', a.tokens.agency);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    expect((await post(id, 'approve', a.tokens.officer)).status).toBe(409);
  });

  it.each([
    ['agency', () => a.tokens.agency, 403],
    ['signer', () => a.tokens.signer, 403],
    ['auditor', () => a.tokens.auditor, 403],
  ])('%s may not approve or reject', async (_who, token, status) => {
    const id = await submitted();
    expect((await post(id, 'approve', token())).status).toBe(status);
    expect((await post(id, 'reject', token(), { reason: 'x' })).status).toBe(status);
  });

  it('404s unknown and malformed ids', async () => {
    expect((await post('00000000-0000-4000-8000-000000000000', 'approve', admin)).status).toBe(404);
    expect((await post('not-a-uuid', 'approve', admin)).status).toBe(404);
    expect((await t.http().get('/api/v1/certificate-requests/not-a-uuid').set(auth(admin))).status).toBe(404);
  });

  it('two officers approving at the same moment give exactly one certificate', async () => {
    const id = await submitted();
    const officer2 = await seedTenant(t, 'req-race');
    const results = await Promise.all([post(id, 'approve', a.tokens.officer), post(id, 'approve', officer2.tokens.officer), post(id, 'approve', admin)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const rows = await t.kyso.services.knex('certificates').where({ request_id: id });
    expect(rows).toHaveLength(1);
  });
});

describe('listing and reading requests', () => {
  it('agencies see only their organization; staff filter by anything; pages chain', async () => {
    const { pem } = await makeCsr();
    const mine = await submit(b.tokens.agency, tokenRequest(b.organizationId, pem, { subject: { commonName: 'Lê Văn Bệnh Viện', uid: 'CCCD:046203004567' } }));
    expect(mine.status).toBe(201);
    const asA = await t.http().get('/api/v1/certificate-requests?limit=1000').set(auth(a.tokens.agency));
    expect(asA.status).toBe(200);
    expect(asA.body.items.every((r: { organizationId: string }) => r.organizationId === a.organizationId)).toBe(true);
    expect((await t.http().get(`/api/v1/certificate-requests/${mine.body.id}`).set(auth(a.tokens.agency))).status).toBe(404);
    expect((await t.http().get(`/api/v1/certificate-requests/${mine.body.id}`).set(auth(b.tokens.agency))).body.subject.commonName).toBe('Lê Văn Bệnh Viện');
    const filtered = await t.http().get(`/api/v1/certificate-requests?organizationId=${b.organizationId}&status=submitted`).set(auth(a.tokens.officer));
    expect(filtered.body.items.map((r: { id: string }) => r.id)).toContain(mine.body.id);
    expect(filtered.body.items.every((r: { status: string }) => r.status === 'submitted')).toBe(true);
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await t
        .http()
        .get(`/api/v1/certificate-requests?limit=5${cursor ? `&cursor=${cursor}` : ''}`)
        .set(auth(admin));
      for (const item of page.body.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    const all = await t.http().get('/api/v1/certificate-requests?limit=1000').set(auth(admin));
    expect(seen.size).toBe(all.body.items.length);
    expect((await t.http().get('/api/v1/certificate-requests').set(auth(a.tokens.signer))).status).toBe(403);
    expect((await t.http().get('/api/v1/certificate-requests?cursor=garbage').set(auth(admin))).status).toBe(400);
  });
});

describe('batch submission and approval', () => {
  it('takes a JSON array: one bad row never sinks the others', async () => {
    const good1 = tokenRequest(a.organizationId, (await makeCsr()).pem);
    const good2 = tokenRequest(a.organizationId, (await makeCsr('rsa')).pem, { subject: { commonName: 'Trần Văn Bình', uid: 'CMND:012345678' } });
    const bad = tokenRequest(a.organizationId, (await makeCsr()).pem, { subject: { commonName: 'X', uid: 'CCCD:12' } });
    const malformed = { kind: 'new', holder: 'nobody' };
    const res = await t.http().post('/api/v1/certificate-requests/batch').set(auth(a.tokens.agency)).send([good1, bad, malformed, good2]);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['submitted', 'error', 'error', 'submitted']);
    expect(res.body.results[1].error.status).toBe(422);
    expect(res.body.results[2].error.status).toBe(400);

    const ids = [res.body.results[0].id, '00000000-0000-4000-8000-000000000000', res.body.results[3].id];
    const approved = await t.http().post('/api/v1/certificate-requests/approve-batch').set(auth(a.tokens.officer)).send({ ids });
    expect(approved.status).toBe(200);
    expect(approved.body.results.map((r: { status: string }) => r.status)).toEqual(['issued', 'error', 'issued']);
    expect(approved.body.results[1].error.status).toBe(404);
    expect(approved.body.results[0].certificateSerial).toMatch(/^[0-9a-f]+$/);
    const again = await t.http().post('/api/v1/certificate-requests/approve-batch').set(auth(a.tokens.officer)).send({ ids: [ids[0]] });
    expect(again.body.results[0].error.status).toBe(409);
    expect((await t.http().post('/api/v1/certificate-requests/approve-batch').set(auth(a.tokens.agency)).send({ ids })).status).toBe(403);
  });

  it('takes text/csv with a header row, several UIDs and escaped PEM or base64 DER CSRs', async () => {
    const pem = (await makeCsr()).pem;
    const der = (await makeCsr()).pem.replace(/-----[^-]+-----|\s/g, '');
    const csv = [
      'holder,medium,organizationId,commonName,uid,title,csr',
      `individual,token,${a.organizationId},"Nguyễn Văn An, Jr.",MST:0100686209;CCCD:001203004567,Giáo viên,"${pem.replace(/\n/g, '\\n')}"`,
      `individual,token,${a.organizationId},Đỗ Thị Hoa,CCCD:001203004568,,${der}`,
      `individual,token,${a.organizationId},Bad Row,CCCD:1,,${der}`,
    ].join('\r\n');
    const res = await t.http().post('/api/v1/certificate-requests/batch').set(auth(a.tokens.agency)).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['submitted', 'submitted', 'error']);
    const first = await t.http().get(`/api/v1/certificate-requests/${res.body.results[0].id}`).set(auth(a.tokens.agency));
    expect(first.body.subject).toMatchObject({ commonName: 'Nguyễn Văn An, Jr.', uid: ['MST:0100686209', 'CCCD:001203004567'], title: 'Giáo viên' });
  });

  it('refuses an empty batch (400), over 500 rows (413), unknown CSV columns (400)', async () => {
    expect((await t.http().post('/api/v1/certificate-requests/batch').set(auth(a.tokens.agency)).send([])).status).toBe(400);
    const many = Array.from({ length: 501 }, () => ({ kind: 'new' }));
    expect((await t.http().post('/api/v1/certificate-requests/batch').set(auth(a.tokens.agency)).send(many)).status).toBe(413);
    const res = await t.http().post('/api/v1/certificate-requests/batch').set(auth(a.tokens.agency)).set('Content-Type', 'text/csv').send('holder,shoeSize\nindividual,42');
    expect(res.status).toBe(400);
    expect((await t.http().post('/api/v1/certificate-requests/batch').set(auth(a.tokens.signer)).send([{ kind: 'new' }])).status).toBe(403);
  });
});

describe('renew, change-info, revoke, suspend and resume requests', () => {
  const approve = (id: string) => t.http().post(`/api/v1/certificate-requests/${id}/approve`).set(auth(a.tokens.officer));
  const cert = (serial: string) => t.http().get(`/api/v1/certificates/${serial}`).set(auth(admin));

  it('renews with the same key or a new one; the old certificate stays active', async () => {
    const old = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    const same = await submit(a.tokens.agency, { kind: 'renew', certificateSerial: old.serial });
    expect(same.status).toBe(201);
    expect(same.body).toMatchObject({ kind: 'renew', targetSerial: old.serial, holder: 'individual', medium: 'token' });
    const renewed = await approve(same.body.id);
    expect(renewed.status).toBe(200);
    const newKey = await submit(a.tokens.agency, { kind: 'renew', certificateSerial: old.serial, csr: (await makeCsr()).pem });
    const renewed2 = await approve(newKey.body.id);
    const pub = (pem: string) => openssl(['x509', '-noout', '-pubkey', '-in', { file: 'c.pem', content: pem }]);
    expect(pub(renewed.body.certificate.pem)).toBe(pub(old.pem));
    expect(pub(renewed2.body.certificate.pem)).not.toBe(pub(old.pem));
    expect((await cert(old.serial)).body.status).toBe('active');
    expect((await cert(renewed.body.certificate.serial)).body.subject).toBe((await cert(old.serial)).body.subject);
  });

  it('change-info re-issues with the corrected subject and revokes the old one as superseded', async () => {
    const old = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    const noSubject = await submit(a.tokens.agency, { kind: 'change-info', certificateSerial: old.serial });
    expect(noSubject.status).toBe(422);
    const req = await submit(a.tokens.agency, { kind: 'change-info', certificateSerial: old.serial, subject: { commonName: 'Nguyễn Thị Hường', uid: 'CCCD:001203004567', title: 'Tổ trưởng' } });
    expect(req.status).toBe(201);
    const done = await approve(req.body.id);
    expect(done.status).toBe(200);
    expect((await cert(done.body.certificate.serial)).body.commonName).toBe('Nguyễn Thị Hường');
    expect((await cert(old.serial)).body).toMatchObject({ status: 'revoked', revocationReason: 'superseded' });
    expect((await submit(a.tokens.agency, { kind: 'renew', certificateSerial: old.serial })).status).toBe(409);
  });

  it('a batch with two change-info requests for one certificate issues the first, 409s the second, and issues the rest', async () => {
    const old = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    const changeInfo = (commonName: string) => submit(a.tokens.agency, { kind: 'change-info', certificateSerial: old.serial, subject: { commonName, uid: 'CCCD:001203004567' } });
    const first = await changeInfo('Nguyễn Thị Hường');
    const second = await changeInfo('Nguyễn Thị Hưởng');
    const fresh = await submit(a.tokens.agency, tokenRequest(a.organizationId, (await makeCsr()).pem));
    const ids = [first.body.id, second.body.id, fresh.body.id];
    const res = await t.http().post('/api/v1/certificate-requests/approve-batch').set(auth(a.tokens.officer)).send({ ids });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['issued', 'error', 'issued']);
    expect(res.body.results[1].error.status).toBe(409);
    expect(res.body.results[1].error.detail).toContain(`superseded by certificate request ${first.body.id}`);
    expect((await cert(res.body.results[0].certificateSerial)).body.commonName).toBe('Nguyễn Thị Hường');
    expect((await cert(old.serial)).body).toMatchObject({ status: 'revoked', revocationReason: 'superseded' });
    // the second stays submitted, and the certificate signed for it was never stored
    expect((await t.http().get(`/api/v1/certificate-requests/${second.body.id}`).set(auth(admin))).body.status).toBe('submitted');
    expect(await t.kyso.services.knex('certificates').where({ request_id: second.body.id }).select('id')).toEqual([]);
    expect((await approve(second.body.id)).status).toBe(409);
  });

  it('a change-info request whose certificate is revoked while the batch is signed gets its own 409', async () => {
    const old = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    const req = await submit(a.tokens.agency, { kind: 'change-info', certificateSerial: old.serial, subject: { commonName: 'Nguyễn Thị Hường', uid: 'CCCD:001203004567' } });
    const fresh = await submit(a.tokens.agency, tokenRequest(a.organizationId, (await makeCsr()).pem));
    // The revocation lands after approval read the requests and their targets, before its transaction.
    const { issuance } = t.kyso.services;
    const sign = issuance.sign.bind(issuance);
    const spy = vi.spyOn(issuance, 'sign').mockImplementationOnce(async (plans) => {
      const revoked = await t.http().post(`/api/v1/certificates/${old.serial}/revoke`).set(auth(admin)).send({ reason: 'keyCompromise' });
      expect(revoked.status).toBe(200);
      return sign(plans);
    });
    try {
      const res = await t.http().post('/api/v1/certificate-requests/approve-batch').set(auth(a.tokens.officer)).send({ ids: [req.body.id, fresh.body.id] });
      expect(spy).toHaveBeenCalledOnce();
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['error', 'issued']);
      expect(res.body.results[0].error).toMatchObject({ status: 409, detail: `certificate ${old.serial} is revoked` });
    } finally {
      spy.mockRestore();
    }
    expect((await cert(old.serial)).body).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    expect((await t.http().get(`/api/v1/certificate-requests/${req.body.id}`).set(auth(admin))).body.status).toBe('submitted');
    expect(await t.kyso.services.knex('certificates').where({ request_id: req.body.id }).select('id')).toEqual([]);
  });

  it('revoke, suspend and resume through approved requests', async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    expect((await submit(a.tokens.agency, { kind: 'resume', certificateSerial: c.serial })).status).toBe(409);
    const suspend = await submit(a.tokens.agency, { kind: 'suspend', certificateSerial: c.serial });
    expect(suspend.status).toBe(201);
    expect((await approve(suspend.body.id)).body).toMatchObject({ status: 'approved', certificateSerial: c.serial });
    expect((await cert(c.serial)).body.status).toBe('suspended');
    const resume = await submit(a.tokens.agency, { kind: 'resume', certificateSerial: c.serial });
    await approve(resume.body.id);
    expect((await cert(c.serial)).body.status).toBe('active');
    expect((await submit(a.tokens.agency, { kind: 'revoke', certificateSerial: c.serial, reason: 'lostMyToken' })).status).toBe(400);
    const revoke = await submit(a.tokens.agency, { kind: 'revoke', certificateSerial: c.serial, reason: 'keyCompromise' });
    expect(revoke.body.requestReason).toBe('keyCompromise');
    // a second revoke request while the first waits: accepted now, refused at approval
    const twice = await submit(a.tokens.agency, { kind: 'revoke', certificateSerial: c.serial });
    await approve(revoke.body.id);
    expect((await cert(c.serial)).body).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    expect((await approve(twice.body.id)).status).toBe(409);
    expect((await submit(a.tokens.agency, { kind: 'suspend', certificateSerial: c.serial })).status).toBe(409);

    const history = await t.kyso.services.knex('certificate_status_changes as s').join('certificates as c', 'c.id', 's.certificate_id').where('c.serial', c.serial).orderBy('s.id').select('s.status', 's.reason');
    expect(history).toEqual([
      { status: 'active', reason: null },
      { status: 'suspended', reason: 'certificateHold' },
      { status: 'active', reason: null },
      { status: 'revoked', reason: 'keyCompromise' },
    ]);
  });

  it("404s another organization's certificate", async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    expect((await submit(b.tokens.agency, { kind: 'revoke', certificateSerial: c.serial })).status).toBe(404);
  });
});

describe('issued certificates interoperate and are audited', () => {
  it('openssl verifies the chain and reads the profile', async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    const root = await t.http().get('/pki/ca/dev-root.pem');
    const issuing = await t.http().get('/pki/ca/dev-issuing.pem');
    const out = openssl(['verify', '-CAfile', { file: 'root.pem', content: root.text }, '-untrusted', { file: 'issuing.pem', content: issuing.text }, { file: 'leaf.pem', content: c.pem }]);
    expect(out).toMatch(/OK/);
    const text = openssl(['x509', '-noout', '-text', '-in', { file: 'leaf.pem', content: c.pem }]);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text).toContain(`${t.config.publicUrl}/pki/crl/dev-issuing.crl`);
    expect(text).toContain(`OCSP - URI:${t.config.publicUrl}/pki/ocsp`);
    const notBefore = new Date(openssl(['x509', '-noout', '-startdate', '-in', { file: 'leaf.pem', content: c.pem }]).split('=')[1]!);
    const notAfter = new Date(openssl(['x509', '-noout', '-enddate', '-in', { file: 'leaf.pem', content: c.pem }]).split('=')[1]!);
    expect(notAfter.getUTCFullYear() - notBefore.getUTCFullYear()).toBe(3);
    expect(openssl(['x509', '-noout', '-serial', '-in', { file: 'leaf.pem', content: c.pem }]).trim().toLowerCase()).toBe(`serial=${c.serial.padStart(32, '0')}`);

    const audit = await t.http().get('/api/v1/audit?limit=1000').set(auth(admin));
    const actions = new Set(audit.body.items.map((e: { action: string }) => e.action));
    for (const action of ['certificate-request.submit', 'certificate-request.approve', 'certificate.issue', 'certificate.revoke']) expect(actions).toContain(action);
    expect((await t.http().get('/api/v1/audit/verify').set(auth(admin))).body.ok).toBe(true);
  });

  it('organization certificates last 5 years and carry no clientAuth', async () => {
    const { pem } = await makeCsr();
    const res = await submit(a.tokens.agency, { kind: 'new', holder: 'organization', medium: 'token', organizationId: a.organizationId, subject: { commonName: 'Trường THPT Chu Văn An', uid: ['MST:0100686209', 'MNS:1234567'] }, csr: pem });
    expect(res.status).toBe(201);
    const approved = await t.http().post(`/api/v1/certificate-requests/${res.body.id}/approve`).set(auth(a.tokens.officer));
    const text = openssl(['x509', '-noout', '-text', '-in', { file: 'c.pem', content: approved.body.certificate.pem }]);
    expect(text).not.toContain('TLS Web Client Authentication');
    const view = await t.http().get(`/api/v1/certificates/${approved.body.certificate.serial}`).set(auth(admin));
    expect(new Date(view.body.notAfter).getUTCFullYear() - new Date(view.body.notBefore).getUTCFullYear()).toBe(5);
    expect(view.body).toMatchObject({ holder: 'organization', profile: 'organization', sector: 'education' });
  });

  it('refuses a profile of the other holder and an unknown one', async () => {
    const { pem } = await makeCsr();
    expect((await submit(a.tokens.agency, tokenRequest(a.organizationId, pem, { profile: 'organization' }))).status).toBe(422);
    expect((await submit(a.tokens.agency, tokenRequest(a.organizationId, pem, { profile: 'gold' }))).status).toBe(422);
  });
});

describe('the OpenAPI document', () => {
  it('describes every request, certificate and trust-anchor operation, approve-batch included', async () => {
    const doc = (await t.http().get('/api/v1/openapi.json')).body;
    for (const [path, method] of [
      ['/api/v1/certificate-requests', 'post'],
      ['/api/v1/certificate-requests/batch', 'post'],
      ['/api/v1/certificate-requests/approve-batch', 'post'],
      ['/api/v1/certificate-requests/{id}/approve', 'post'],
      ['/api/v1/certificate-requests/{id}/reject', 'post'],
      ['/api/v1/certificate-requests/{id}/cancel', 'post'],
      ['/api/v1/certificates', 'get'],
      ['/api/v1/certificates/{serial}/pkcs12', 'post'],
      ['/api/v1/certificates/{serial}/chain', 'get'],
      ['/api/v1/certificates/import/batch', 'post'],
      ['/api/v1/trust-anchors', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(doc.paths['/api/v1/certificate-requests/batch'].post.requestBody.content)).toContain('text/csv');
  });
});
