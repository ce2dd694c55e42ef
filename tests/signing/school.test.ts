import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcriptTemplate } from '../pdf/fixtures.js';
import { sealPng, signaturePng } from '../pdf/images.js';
import { inkRatio, renderRegion } from '../pdf/render.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { binary, FIRST_PIN, openAccount, post } from './support.js';

const PIN = '802461';
let t: TestKyso;
let school: Awaited<ReturnType<typeof seedTenant>>;
let other: Awaited<ReturnType<typeof seedTenant>>;
let principal: { id: string; token: string };
let clerk: { id: string; token: string };
let teacherAccount: { id: string; certificateSerial: string };
let principalAccount: { id: string; certificateSerial: string };
let sealAccount: { id: string; certificateSerial: string };
let tmp: Scratch;

/** One more signer of the school. */
async function signerUser(name: string): Promise<{ id: string; token: string }> {
  const password = `${name}-password-123`;
  const res = await post(t, await t.adminToken(), '/api/v1/users', { username: name, password, role: 'signer', organizationId: school.organizationId, fullName: name });
  expect(res.status).toBe(201);
  return { id: res.body.id, token: await t.login(name, password) };
}

const upload = (token: string, accountId: string, image: Buffer, name = 'image') =>
  t.http().put(`/api/v1/signing-accounts/${accountId}/appearance`).set('Authorization', `Bearer ${token}`).attach(name, image, 'image.png');

const signPdf = (token: string, accountId: string, document: Buffer, options: Record<string, unknown>) =>
  t
    .http()
    .post(`/api/v1/signing-accounts/${accountId}/sign`)
    .set('Authorization', `Bearer ${token}`)
    .set('Accept', 'application/pdf')
    .field('options', JSON.stringify({ pin: PIN, format: 'pades', ...options }))
    .attach('document', document, 'hoc-ba.pdf')
    .buffer(true)
    .parse(binary);

beforeAll(async () => {
  t = await startTestKyso();
  school = await seedTenant(t, 'cva', { name: 'Trường THPT Chu Văn An' });
  other = await seedTenant(t, 'oth');
  principal = await signerUser('hieutruong');
  clerk = await signerUser('vanthu');
  teacherAccount = await openAccount(t, school.tokens.officer, { userId: school.userIds.signer, organizationId: school.organizationId, pin: PIN, commonName: 'Nguyễn Thị Hương' }, school.tokens.signer);
  principalAccount = await openAccount(t, school.tokens.officer, { userId: principal.id, organizationId: school.organizationId, pin: PIN, commonName: 'Trần Văn Bình' }, principal.token);
  sealAccount = await openAccount(
    t,
    school.tokens.officer,
    { holder: 'organization', delegateUserIds: [clerk.id], organizationId: school.organizationId, pin: PIN, commonName: 'Trường THPT Chu Văn An', uid: ['MST:0101234567'] },
    clerk.token,
  );
  tmp = scratch();
});
afterAll(async () => {
  tmp.remove();
  await t.close();
});

describe('first PIN and PIN changes', () => {
  it('a new account answers mustChangePin and refuses to sign (409 pin-change-required) until the holder changes the PIN', async () => {
    const created = await post(t, school.tokens.officer, '/api/v1/signing-accounts', {
      userId: school.userIds.signer,
      organizationId: school.organizationId,
      pin: FIRST_PIN,
      commonName: 'Lê Văn Tâm',
      uid: 'CCCD:001099077777',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ mustChangePin: true, holder: 'individual' });
    const document = Buffer.from('biên bản').toString('base64');
    const refused = await post(t, school.tokens.signer, `/api/v1/signing-accounts/${created.body.id}/sign`, { pin: FIRST_PIN, document, format: 'cms' });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toMatch(/\/pin-change-required$/);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const hashes = await post(t, school.tokens.signer, `/api/v1/signing-accounts/${created.body.id}/sign-hash`, { pin: FIRST_PIN, hashAlgorithm: 'SHA-256', hashes: [Buffer.alloc(32).toString('base64')] });
    expect(hashes.status).toBe(409);
    expect((await post(t, school.tokens.signer, `/api/v1/signing-accounts/${created.body.id}/pin`, { pin: FIRST_PIN, newPin: '7350196' })).status).toBe(204);
    const view = await t.http().get(`/api/v1/signing-accounts/${created.body.id}`).set('Authorization', `Bearer ${school.tokens.signer}`);
    expect(view.body.mustChangePin).toBe(false);
    expect((await post(t, school.tokens.signer, `/api/v1/signing-accounts/${created.body.id}/sign`, { pin: '7350196', document, format: 'cms' })).status).toBe(200);
  });

  it('serializes two concurrent PIN changes: one succeeds, the other is refused, and only its new PIN works (#12)', async () => {
    const account = await openAccount(t, school.tokens.officer, { userId: school.userIds.signer, organizationId: school.organizationId, pin: '5173920' }, school.tokens.signer);
    const change = (newPin: string) => post(t, school.tokens.signer, `/api/v1/signing-accounts/${account.id}/pin`, { pin: '5173920', newPin });
    const [first, second] = await Promise.all([change('6284031'), change('9417305')]);
    const statuses = [first.status, second.status].sort();
    expect(statuses[0]).toBe(204);
    expect([403, 409]).toContain(statuses[1]);
    const document = Buffer.from('x').toString('base64');
    const works = async (pin: string) => (await post(t, school.tokens.signer, `/api/v1/signing-accounts/${account.id}/sign`, { pin, document, format: 'cms' })).status === 200;
    const winner = first.status === 204 ? '6284031' : '9417305';
    const loser = winner === '6284031' ? '9417305' : '6284031';
    expect(await works(winner)).toBe(true);
    expect(await works(loser)).toBe(false);
  });
});

describe('appearance images', () => {
  it('takes a PNG of at most 1 MB from the account’s signer; 422 not a PNG, 413 too large, 400 no part, 404 someone else', async () => {
    expect((await upload(school.tokens.signer, teacherAccount.id, Buffer.from('GIF89a not a png'))).status).toBe(422);
    const broken = Buffer.concat([signaturePng().subarray(0, 40), Buffer.alloc(100)]);
    expect((await upload(school.tokens.signer, teacherAccount.id, broken)).status).toBe(422);
    const tooLarge = await upload(school.tokens.signer, teacherAccount.id, Buffer.concat([signaturePng(), Buffer.alloc(1024 * 1024)]));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers['content-type']).toContain('application/problem+json');
    expect((await upload(school.tokens.signer, teacherAccount.id, signaturePng(), 'picture')).status).toBe(400);
    expect((await upload(other.tokens.signer, teacherAccount.id, signaturePng())).status).toBe(404);
    expect((await upload(clerk.token, teacherAccount.id, signaturePng())).status).toBe(404);
    const ok = await upload(school.tokens.signer, teacherAccount.id, signaturePng());
    expect(ok.status).toBe(200);
    expect(ok.body.hasAppearance).toBe(true);
    expect((await upload(principal.token, principalAccount.id, signaturePng())).status).toBe(200);
    // The seal of the organization account, by its delegate.
    expect((await upload(clerk.token, sealAccount.id, sealPng())).status).toBe(200);
  });
});

describe('organization accounts', () => {
  it('holds the organization’s certificate; only its delegates may use it; other signers get 404', async () => {
    const view = await t.http().get(`/api/v1/signing-accounts/${sealAccount.id}`).set('Authorization', `Bearer ${clerk.token}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ holder: 'organization', userId: null, delegateUserIds: [clerk.id] });
    const cert = await t.http().get(`/api/v1/certificates/${sealAccount.certificateSerial}`).set('Authorization', `Bearer ${school.tokens.officer}`);
    expect(cert.body).toMatchObject({ holder: 'organization', medium: 'remote' });
    const mine = await t.http().get('/api/v1/signing-accounts').set('Authorization', `Bearer ${clerk.token}`);
    expect(mine.body.items.map((a: { id: string }) => a.id)).toEqual([sealAccount.id]);
    const document = Buffer.from('công văn').toString('base64');
    expect((await post(t, school.tokens.signer, `/api/v1/signing-accounts/${sealAccount.id}/sign`, { pin: PIN, document, format: 'cms' })).status).toBe(404);
    expect((await t.http().get(`/api/v1/signing-accounts/${sealAccount.id}`).set('Authorization', `Bearer ${school.tokens.signer}`)).status).toBe(404);
  });

  it('refuses delegates who are not signers of the organization, and an organization account without any (422)', async () => {
    const base = { holder: 'organization', organizationId: school.organizationId, pin: FIRST_PIN, commonName: 'Trường THPT Chu Văn An', uid: 'MST:0101234567' };
    const outsider = await post(t, school.tokens.officer, '/api/v1/signing-accounts', { ...base, delegateUserIds: [other.userIds.signer] });
    expect(outsider.status).toBe(422);
    expect(outsider.body.errors[0].path).toBe('delegateUserIds.0');
    expect((await post(t, school.tokens.officer, '/api/v1/signing-accounts', { ...base, delegateUserIds: [school.userIds.agency] })).status).toBe(422);
    expect((await post(t, school.tokens.officer, '/api/v1/signing-accounts', base)).status).toBe(422);
  });
});

describe('a school’s transcript: teacher → principal → seal, over HTTP', () => {
  it('three visible signatures by incremental update; pdfsig and kyso’s verifier find all three valid; audit names who signed', async () => {
    const template = await transcriptTemplate();
    const teacher = await signPdf(school.tokens.signer, teacherAccount.id, template, { visible: { field: 'GiaoVien' }, certify: true, reason: 'Giáo viên chủ nhiệm' });
    expect(teacher.status).toBe(200);
    expect(teacher.headers['content-type']).toContain('application/pdf');
    const principalSigned = await signPdf(principal.token, principalAccount.id, teacher.body, { visible: { field: 'HieuTruong' } });
    expect(principalSigned.status).toBe(200);
    const sealed = await signPdf(clerk.token, sealAccount.id, principalSigned.body, { visible: { page: 1, rect: [300, 470, 560, 590] } });
    expect(sealed.status).toBe(200);
    for (const [earlier, later] of [
      [template, teacher.body],
      [teacher.body, principalSigned.body],
      [principalSigned.body, sealed.body],
    ] as Array<[Buffer, Buffer]>) {
      expect(later.subarray(0, earlier.length).equals(earlier)).toBe(true);
    }
    const file = tmp.write('transcript.pdf', sealed.body);
    const out = tmp.run('pdfsig', [file]).output;
    expect(out.match(/Signature is Valid/g)).toHaveLength(3);
    expect(tmp.run('qpdf', ['--check', file]).ok).toBe(true);
    expect(inkRatio(renderRegion(tmp, file, 1, [60, 480, 280, 580]))).toBeGreaterThan(0.01);
    expect(inkRatio(renderRegion(tmp, file, 1, [320, 480, 540, 580]))).toBeGreaterThan(0.01);
    const text = tmp.run('pdftotext', [file, '-']).output;
    expect(text).toContain('Trường THPT Chu Văn An');

    const verified = await t.http().post('/api/v1/verify').send({ document: sealed.body.toString('base64') });
    expect(verified.status).toBe(200);
    expect(verified.body.signatures).toHaveLength(3);
    expect(verified.body.signatures.map((s: { indication: string }) => s.indication)).toEqual(['TOTAL_PASSED', 'TOTAL_PASSED', 'TOTAL_PASSED']);
    expect(verified.body.signatures.every((s: { signingTime?: string }) => s.signingTime)).toBe(true);

    const audit = await t.http().get('/api/v1/audit?action=signing-account.sign').set('Authorization', `Bearer ${await t.adminToken()}`);
    const seal = audit.body.items.find((e: { target: { id: string } }) => e.target.id === sealAccount.id);
    expect(seal.actor.username).toBe('vanthu');
  });

  it('answers JSON (base64) without Accept: application/pdf, and refuses bad inputs with problems', async () => {
    const template = await transcriptTemplate();
    const json = await t
      .http()
      .post(`/api/v1/signing-accounts/${teacherAccount.id}/sign`)
      .set('Authorization', `Bearer ${school.tokens.signer}`)
      .field('options', JSON.stringify({ pin: PIN, format: 'pades' }))
      .attach('document', template, 'a.pdf');
    expect(json.status).toBe(200);
    expect(Buffer.from(json.body.document, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    // The template encrypted with AES-256 and an empty user password: it opens without one, but signing it would need the owner's.
    tmp.write('template.pdf', template);
    expect(tmp.run('qpdf', ['--encrypt', '', 'owner-password', '256', '--', 'template.pdf', 'encrypted.pdf']).ok).toBe(true);
    const encrypted = tmp.read('encrypted.pdf');
    const cases: Array<[Record<string, unknown>, Buffer, number, string, RegExp?]> = [
      [{ visible: { page: 9, rect: [0, 0, 10, 10] } }, template, 422, 'visible.page', /page 9 does not exist/],
      [{ visible: { page: 1, rect: [500, 800, 900, 900] } }, template, 422, 'visible.rect', /off page 1/],
      [{ visible: { field: 'HoTen' } }, template, 422, 'visible.field', /not a signature field/],
      [{ visible: { field: 'KhongCo' } }, template, 422, 'visible.field', /no signature field named "KhongCo"/],
      [{}, Buffer.from('not a pdf at all'), 422, 'document', /not a PDF/],
      [{}, encrypted, 422, 'document', /encrypted/],
      [{ visible: { page: 1 } }, template, 400, 'visible'],
      [{ level: 'B-XL' }, template, 400, 'level'],
    ];
    for (const [options, document, status, where, message] of cases) {
      const res = await signPdf(school.tokens.signer, teacherAccount.id, document, options);
      expect(res.status, JSON.stringify(options)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = JSON.parse(res.body.toString());
      expect(problem.errors?.[0]?.path ?? '').toContain(where);
      if (message) expect(problem.detail).toMatch(message);
    }
    const noOptions = await t.http().post(`/api/v1/signing-accounts/${teacherAccount.id}/sign`).set('Authorization', `Bearer ${school.tokens.signer}`).attach('document', template, 'a.pdf');
    expect(noOptions.status).toBe(400);
  });
});

describe('statistics', () => {
  it('count the organization account among signing accounts and its certificate as an organization certificate', async () => {
    const auditor = school.tokens.auditor;
    const accounts = await t.http().get('/api/v1/stats/signing-accounts?groupBy=organization').set('Authorization', `Bearer ${auditor}`);
    expect(accounts.status).toBe(200);
    const ofSchool = (r: { organizationId?: string; organization?: string }) => (r.organizationId ?? r.organization) === school.organizationId;
    const row = accounts.body.rows.find(ofSchool);
    expect(row?.count ?? accounts.body.total).toBeGreaterThanOrEqual(4);
    const issuance = await t.http().get('/api/v1/stats/issuance?groupBy=holder,medium').set('Authorization', `Bearer ${auditor}`);
    const organization = issuance.body.rows.find((r: { holder: string; medium: string }) => r.holder === 'organization' && r.medium === 'remote');
    expect(organization?.count).toBeGreaterThanOrEqual(1);
  });
});
