import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CMS_OID } from '../../src/pki/cms.js';
import { toArrayBuffer } from '../../src/pki/engine.js';
import { samplePdf } from '../pki/cms-fixtures.js';
import { scratch } from '../support/scratch.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { openAccount, post } from './support.js';

const DOCUMENT = Buffer.from('Học bạ số: Nguyễn Văn An, lớp 12A1, năm học 2025-2026\n', 'utf8');
const PIN = '246810';

let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;
let account: { id: string; certificateSerial: string };
let tmp: ReturnType<typeof scratch>;

beforeAll(async () => {
  t = await startTestKyso();
  a = await seedTenant(t, 'sa');
  b = await seedTenant(t, 'sb');
  account = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: PIN }, a.tokens.signer);
  tmp = scratch();
  tmp.write('root.pem', readFileSync(path.join(t.dataDir, 'certs-dev', 'dev-root.pem')));
  tmp.write('doc.txt', DOCUMENT);
  tmp.write('tampered.txt', Buffer.concat([DOCUMENT, Buffer.from('!')]));
});
afterAll(async () => {
  tmp.remove();
  await t.close();
});

const sign = (token: string, body: Record<string, unknown>, id = account.id) =>
  post(t, token, `/api/v1/signing-accounts/${id}/sign`, { pin: PIN, document: DOCUMENT.toString('base64'), format: 'cms', ...body });
const cmsVerify = (file: string, content?: string) =>
  tmp.run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', file, '-CAfile', 'root.pem', '-cades', '-purpose', 'any', ...(content ? ['-content', content] : []), '-out', '/dev/null']);

describe('opening accounts', () => {
  it('issues a remote certificate through the normal lifecycle', async () => {
    expect(account.certificateSerial).toMatch(/^[0-9a-f]+$/);
    const cert = await t.http().get(`/api/v1/certificates/${account.certificateSerial}`).set('Authorization', `Bearer ${a.tokens.officer}`);
    expect(cert.status).toBe(200);
    expect(cert.body).toMatchObject({ medium: 'remote', holder: 'individual', organizationId: a.organizationId, status: 'active' });
  });

  it('answers 201 with { id, certificateSerial, status: "active" } and an RSA-2048 key on request', async () => {
    const res = await post(t, a.tokens.officer, '/api/v1/signing-accounts', {
      userId: a.userIds.signer,
      organizationId: a.organizationId,
      pin: '13579135',
      commonName: 'Trần Văn Bình',
      uid: 'CCCD:001099012345',
      keyAlgorithm: 'rsa-2048',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'active', keyAlgorithm: 'rsa-2048', certificateStatus: 'active', mustChangePin: true });
    expect((await post(t, a.tokens.signer, `/api/v1/signing-accounts/${res.body.id}/pin`, { pin: '13579135', newPin: '3579135' })).status).toBe(204);
    const signed = await sign(a.tokens.signer, { pin: '3579135' }, res.body.id);
    expect(signed.status).toBe(200);
    tmp.write('rsa.p7s', Buffer.from(signed.body.signature, 'base64'));
    expect(cmsVerify('rsa.p7s', 'doc.txt').ok).toBe(true);
  });

  const valid = () => ({ userId: a.userIds.signer, organizationId: a.organizationId, pin: '314159', commonName: 'Lê Thị Hoa', uid: 'CCCD:001099000777' });
  for (const bad of [
    { name: 'a 5-digit PIN', body: { pin: '12345' }, status: 400 },
    { name: 'a 9-digit PIN', body: { pin: '123456789' }, status: 400 },
    { name: 'a PIN with letters', body: { pin: '12ab56' }, status: 400 },
    { name: 'a PIN of one digit repeated', body: { pin: '000000' }, status: 422 },
    { name: 'a PIN that is a run', body: { pin: '876543' }, status: 422 },
    { name: 'no commonName', body: { commonName: undefined }, status: 400 },
    { name: 'a userId that is not a UUID', body: { userId: 'nope' }, status: 400 },
    { name: 'an unknown key algorithm', body: { keyAlgorithm: 'dsa-1024' }, status: 400 },
    { name: 'a malformed CCCD', body: { uid: 'CCCD:123' }, status: 422 },
    { name: 'a user who is not a signer', body: { userId: 'agency' }, status: 422 },
    { name: 'a signer of another organization', body: { userId: 'other' }, status: 422 },
  ]) {
    it(`refuses ${bad.name} (${bad.status})`, async () => {
      const body: Record<string, unknown> = { ...valid(), ...bad.body };
      if (body.userId === 'agency') body.userId = a.userIds.agency;
      if (body.userId === 'other') body.userId = b.userIds.signer;
      const res = await post(t, a.tokens.officer, '/api/v1/signing-accounts', body);
      expect(res.status).toBe(bad.status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });
  }

  for (const role of ['agency', 'signer', 'auditor'] as const) {
    it(`is not for the ${role} role (403)`, async () => {
      const res = await post(t, a.tokens[role], '/api/v1/signing-accounts', valid());
      expect(res.status).toBe(403);
    });
  }

  it('provisions a batch with per-row results: bad rows do not sink the others', async () => {
    const res = await post(t, a.tokens.officer, '/api/v1/signing-accounts/batch', [
      { ...valid(), uid: 'CCCD:001099000001' },
      { ...valid(), pin: '12' },
      { ...valid(), userId: a.userIds.agency },
      { ...valid(), uid: 'CCCD:001099000002', keyAlgorithm: 'ecdsa-p256' },
    ]);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['active', 'error', 'error', 'active']);
    expect(res.body.results[1].error.status).toBe(400);
    expect(res.body.results[2].error.status).toBe(422);
    expect(res.body.results[0].certificateSerial).toMatch(/^[0-9a-f]+$/);
  });

  it('provisions a batch from CSV (several uids separated by ";")', async () => {
    const csv = [
      'userId,organizationId,pin,commonName,uid,keyAlgorithm',
      `${a.userIds.signer},${a.organizationId},0246810,"Phạm Thị Mai, giáo viên",CCCD:001099000003;MST:0101234567,ecdsa-p256`,
      `${a.userIds.signer},${a.organizationId},12,Bad Pin,CCCD:001099000004,`,
    ].join('\r\n');
    const res = await t.http().post('/api/v1/signing-accounts/batch').set('Authorization', `Bearer ${a.tokens.officer}`).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['active', 'error']);
    const unknown = await t.http().post('/api/v1/signing-accounts/batch').set('Authorization', `Bearer ${a.tokens.officer}`).set('Content-Type', 'text/csv').send('user,pin\r\nx,1');
    expect(unknown.status).toBe(400);
  });

  it('refuses an empty batch (400) and a non-array body (400)', async () => {
    expect((await post(t, a.tokens.officer, '/api/v1/signing-accounts/batch', [])).status).toBe(400);
    expect((await post(t, a.tokens.officer, '/api/v1/signing-accounts/batch', { rows: [] })).status).toBe(400);
  });

  it('refuses a weak PIN in the service itself, for every caller (422), and generates no key for a row it refuses', async () => {
    const service = t.kyso.services.signingAccounts;
    const officer = { principal: { id: a.userIds.officer, username: 'officer-sa', role: 'officer' as const, organizationId: null }, ip: null };
    const generate = vi.spyOn(service['vault'], 'generateAccountKey');
    try {
      const results = await service.provision(officer, [{ input: { ...valid(), pin: '123456' } }, { input: { ...valid(), uid: 'CCCD:123' } }]);
      expect(results.map((r) => r.error?.status)).toEqual([422, 422]);
      expect(results[0]!.error).toMatchObject({ detail: 'the PIN must not be a run of consecutive digits', errors: [{ path: 'pin' }] });
      // The malformed CCCD is refused by the issuance check, before the key and its PIN wrapping.
      expect(generate).not.toHaveBeenCalled();
    } finally {
      generate.mockRestore();
    }
    const signer = { principal: { id: a.userIds.signer, username: 'signer-sa', role: 'signer' as const, organizationId: a.organizationId }, ip: null };
    await expect(service.changePin(signer, account.id, PIN, '000000')).rejects.toMatchObject({ status: 422, errors: [{ path: 'newPin' }] });
  });
});

describe('who sees and uses an account', () => {
  it('lists by role: officer all, agency its organization, signer its own', async () => {
    const list = (token: string, q = '') =>
      t.http().get(`/api/v1/signing-accounts${q}`).set('Authorization', `Bearer ${token}`);
    const officer = await list(a.tokens.officer, `?organizationId=${a.organizationId}`);
    expect(officer.status).toBe(200);
    expect(officer.body.items.map((i: { id: string }) => i.id)).toContain(account.id);
    expect((await list(a.tokens.agency)).body.items.map((i: { id: string }) => i.id)).toContain(account.id);
    expect((await list(b.tokens.agency)).body.items).toHaveLength(0);
    expect((await list(b.tokens.agency, `?organizationId=${a.organizationId}`)).body.items).toHaveLength(0);
    const mine = await list(a.tokens.signer);
    expect(mine.body.items.every((i: { userId: string }) => i.userId === a.userIds.signer)).toBe(true);
    expect((await list(b.tokens.signer)).body.items).toHaveLength(0);
    const page = await list(a.tokens.officer, '?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toBeTruthy();
    const next = await list(a.tokens.officer, `?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
  });

  it('shows one account to those who may see it, 404 to others', async () => {
    const get = (token: string, id = account.id) => t.http().get(`/api/v1/signing-accounts/${id}`).set('Authorization', `Bearer ${token}`);
    expect((await get(a.tokens.signer)).body).toMatchObject({ id: account.id, status: 'active', failedPinAttempts: 0 });
    expect((await get(a.tokens.agency)).status).toBe(200);
    expect((await get(b.tokens.signer)).status).toBe(404);
    expect((await get(b.tokens.agency)).status).toBe(404);
    expect((await get(a.tokens.officer, 'not-a-uuid')).status).toBe(404);
    expect((await get(a.tokens.officer, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('lets only the account holder sign: everyone else gets a 404, even an officer', async () => {
    for (const token of [b.tokens.signer, a.tokens.officer, a.tokens.agency, await t.adminToken()]) {
      const res = await sign(token, {});
      expect(res.status).toBe(404);
    }
    const hashRes = await post(t, b.tokens.signer, `/api/v1/signing-accounts/${account.id}/sign-hash`, {
      pin: PIN,
      hashAlgorithm: 'SHA-256',
      hashes: [createHash('sha256').update(DOCUMENT).digest('base64')],
    });
    expect(hashRes.status).toBe(404);
  });

  it('requires authentication (401)', async () => {
    const res = await t.http().post(`/api/v1/signing-accounts/${account.id}/sign`).send({ pin: PIN, document: 'aGk=', format: 'cms' });
    expect(res.status).toBe(401);
  });
});

describe('signing', () => {
  it('makes a detached CAdES-B-B CMS that openssl verifies with -cades, and not on a tampered document', async () => {
    const res = await sign(a.tokens.signer, {});
    expect(res.status).toBe(200);
    tmp.write('detached.p7s', Buffer.from(res.body.signature, 'base64'));
    const good = cmsVerify('detached.p7s', 'doc.txt');
    expect(good.output).toContain('Verification successful');
    expect(cmsVerify('detached.p7s', 'tampered.txt').ok).toBe(false);
  });

  it('makes an enveloping CMS when detached is false', async () => {
    const res = await sign(a.tokens.signer, { detached: false });
    expect(res.status).toBe(200);
    tmp.write('enveloping.p7m', Buffer.from(res.body.signature, 'base64'));
    const out = tmp.run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'enveloping.p7m', '-CAfile', 'root.pem', '-cades', '-purpose', 'any', '-out', 'enveloped.txt']);
    expect(out.ok).toBe(true);
    expect(readFileSync(path.join(tmp.dir, 'enveloped.txt')).equals(DOCUMENT)).toBe(true);
  });

  it('adds a signature time-stamp (CAdES-B-T) that openssl ts verifies over the signature value', async () => {
    const res = await sign(a.tokens.signer, { timestamp: true });
    expect(res.status).toBe(200);
    const der = Buffer.from(res.body.signature, 'base64');
    tmp.write('b-t.p7s', der);
    expect(cmsVerify('b-t.p7s', 'doc.txt').ok).toBe(true);
    const info = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    const signerInfo = new pkijs.SignedData({ schema: info.content }).signerInfos[0]!;
    const attr = signerInfo.unsignedAttrs!.attributes.find((x) => x.type === CMS_OID.signatureTimeStampToken)!;
    expect(attr).toBeDefined();
    tmp.write('token.der', Buffer.from(attr.values[0]!.toBER()));
    const imprint = createHash('sha256').update(Buffer.from(signerInfo.signature.valueBlock.valueHexView)).digest('hex');
    const chain = await t.http().get(`/api/v1/certificates/${account.certificateSerial}/chain`).set('Authorization', `Bearer ${a.tokens.signer}`);
    tmp.write('untrusted.pem', `${(await t.http().get('/pki/tsa.pem')).text}${chain.text}`);
    const out = tmp.run('openssl', ['ts', '-verify', '-in', 'token.der', '-token_in', '-digest', imprint, '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem']);
    expect(out.output).toContain('Verification: OK');
  });

  it('signs a PDF (PAdES-B-B) that pdfsig finds valid and totally signed', async () => {
    const pdf = await samplePdf(true);
    const res = await sign(a.tokens.signer, { format: 'pades', document: pdf.toString('base64'), timestamp: true });
    expect(res.status).toBe(200);
    const signed = Buffer.from(res.body.document, 'base64');
    const out = tmp.run('pdfsig', [tmp.write('signed.pdf', signed)]).output;
    expect(out).toContain('Signature is Valid');
    expect(out).toContain('Total document signed');
    expect(out).toContain('Nguyễn Thị Lan');
  });

  for (const bad of [
    { name: 'not-a-PDF as pades', body: { format: 'pades' }, status: 422 },
    { name: 'an unknown format', body: { format: 'xades' }, status: 400 },
    { name: 'a document that is not base64', body: { document: '***' }, status: 400 },
    { name: 'an empty document', body: { document: '' }, status: 400 },
    { name: 'no PIN', body: { pin: undefined }, status: 400 },
    { name: 'a malformed PIN', body: { pin: '12' }, status: 400 },
    { name: 'detached as a string', body: { detached: 'yes' }, status: 400 },
  ]) {
    it(`refuses ${bad.name} (${bad.status}) without counting a PIN attempt`, async () => {
      const res = await sign(a.tokens.signer, bad.body);
      expect(res.status).toBe(bad.status);
      const view = await t.http().get(`/api/v1/signing-accounts/${account.id}`).set('Authorization', `Bearer ${a.tokens.signer}`);
      expect(view.body.failedPinAttempts).toBe(0);
    });
  }
});

describe('sign-hash', () => {
  const documents = ['học bạ 1', 'học bạ 2', 'học bạ 3'].map((s) => Buffer.from(s, 'utf8'));
  const signHash = (body: Record<string, unknown>, token = a.tokens.signer) =>
    post(t, token, `/api/v1/signing-accounts/${account.id}/sign-hash`, { pin: PIN, hashAlgorithm: 'SHA-256', ...body });

  it('returns one detached CMS per hash, each verifiable by openssl against its document', async () => {
    const hashes = documents.map((d) => createHash('sha256').update(d).digest('base64'));
    const res = await signHash({ hashes });
    expect(res.status).toBe(200);
    expect(res.body.signatures).toHaveLength(3);
    res.body.signatures.forEach((sig: string, i: number) => {
      tmp.write(`doc-${i}.txt`, documents[i]!);
      tmp.write(`hash-${i}.p7s`, Buffer.from(sig, 'base64'));
    });
    for (let i = 0; i < 3; i++) {
      expect(cmsVerify(`hash-${i}.p7s`, `doc-${i}.txt`).ok).toBe(true);
      expect(cmsVerify(`hash-${i}.p7s`, `doc-${(i + 1) % 3}.txt`).ok).toBe(false);
    }
  });

  it('signs 1,000 hashes in one call and refuses 1,001 (413)', async () => {
    const hash = createHash('sha256').update('x').digest('base64');
    const ok = await signHash({ hashes: Array(1000).fill(hash) });
    expect(ok.status).toBe(200);
    expect(ok.body.signatures).toHaveLength(1000);
    expect((await signHash({ hashes: Array(1001).fill(hash) })).status).toBe(413);
  });

  for (const bad of [
    { name: 'a 20-byte (SHA-1 sized) hash', body: { hashes: [Buffer.alloc(20, 1).toString('base64')] }, status: 422 },
    { name: 'a 33-byte hash among good ones', body: { hashes: [Buffer.alloc(32).toString('base64'), Buffer.alloc(33).toString('base64')] }, status: 422 },
    { name: 'no hashes', body: { hashes: [] }, status: 400 },
    { name: 'hashes that are not base64', body: { hashes: ['not base64!'] }, status: 400 },
    { name: 'SHA-1', body: { hashAlgorithm: 'SHA-1', hashes: [Buffer.alloc(20).toString('base64')] }, status: 400 },
    { name: 'no hashAlgorithm', body: { hashAlgorithm: undefined, hashes: [Buffer.alloc(32).toString('base64')] }, status: 400 },
  ]) {
    it(`refuses ${bad.name} (${bad.status})`, async () => {
      const res = await signHash(bad.body);
      expect(res.status).toBe(bad.status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });
  }
});

describe('PIN change', () => {
  it('re-wraps the key: the old PIN stops working, the new one signs', async () => {
    const created = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: '314159' });
    const change = (body: object) => post(t, a.tokens.signer, `/api/v1/signing-accounts/${created.id}/pin`, body);
    expect((await change({ pin: '314159', newPin: '314159' })).status).toBe(422);
    expect((await change({ pin: '314159', newPin: '12' })).status).toBe(400);
    // weak new PINs are refused (issue #13 item 8): one digit repeated, a run up or down
    for (const newPin of ['000000', '123456', '876543']) expect((await change({ pin: '314159', newPin })).status).toBe(422);
    expect((await post(t, b.tokens.signer, `/api/v1/signing-accounts/${created.id}/pin`, { pin: '314159', newPin: '2718281' })).status).toBe(404);
    const wrong = await change({ pin: '999999', newPin: '2718281' });
    expect(wrong.status).toBe(403);
    expect((await change({ pin: '314159', newPin: '2718281' })).status).toBe(204);
    expect((await sign(a.tokens.signer, { pin: '314159' }, created.id)).status).toBe(403);
    expect((await sign(a.tokens.signer, { pin: '2718281' }, created.id)).status).toBe(200);
    // A correct PIN clears the count of earlier wrong ones.
    const view = await t.http().get(`/api/v1/signing-accounts/${created.id}`).set('Authorization', `Bearer ${a.tokens.signer}`);
    expect(view.body.failedPinAttempts).toBe(0);
  });
});

describe('certificate status', () => {
  it('refuses to sign with a suspended certificate (409), again after resume, never after revocation', async () => {
    const created = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: '135790' }, a.tokens.signer);
    const cert = (action: string, body: object = {}) =>
      post(t, a.tokens.officer, `/api/v1/certificates/${created.certificateSerial}/${action}`, body);
    expect((await cert('suspend', { reason: 'certificateHold' })).status).toBeLessThan(300);
    const suspended = await sign(a.tokens.signer, { pin: '135790' }, created.id);
    expect(suspended.status).toBe(409);
    expect(suspended.body.detail).toContain('suspended');
    expect((await cert('resume')).status).toBeLessThan(300);
    expect((await sign(a.tokens.signer, { pin: '135790' }, created.id)).status).toBe(200);
    expect((await cert('revoke', { reason: 'keyCompromise' })).status).toBeLessThan(300);
    const revoked = await sign(a.tokens.signer, { pin: '135790' }, created.id);
    expect(revoked.status).toBe(409);
    expect(revoked.body.detail).toContain('revoked');
    const hashes = await post(t, a.tokens.signer, `/api/v1/signing-accounts/${created.id}/sign-hash`, {
      pin: '135790',
      hashAlgorithm: 'SHA-256',
      hashes: [Buffer.alloc(32).toString('base64')],
    });
    expect(hashes.status).toBe(409);
    const view = await t.http().get(`/api/v1/signing-accounts/${created.id}`).set('Authorization', `Bearer ${a.tokens.signer}`);
    expect(view.body.certificateStatus).toBe('revoked');
  });
});

describe('OpenAPI', () => {
  it('documents every signing-account operation and the TSA', async () => {
    const doc = await t.http().get('/api/v1/openapi.json');
    const paths = Object.keys(doc.body.paths);
    for (const path of ['/api/v1/signing-accounts', '/api/v1/signing-accounts/batch', '/api/v1/signing-accounts/{id}', '/api/v1/signing-accounts/{id}/sign', '/api/v1/signing-accounts/{id}/sign-hash', '/api/v1/signing-accounts/{id}/pin', '/api/v1/signing-accounts/{id}/unlock', '/pki/tsa']) {
      expect(paths).toContain(path);
    }
  });
});

describe('statistics', () => {
  it('counts the accounts opened, by organization', async () => {
    const res = await t.http().get('/api/v1/stats/signing-accounts?groupBy=organization').set('Authorization', `Bearer ${a.tokens.officer}`);
    expect(res.status).toBe(200);
    const views = await t.http().get(`/api/v1/signing-accounts?organizationId=${a.organizationId}&limit=1000`).set('Authorization', `Bearer ${a.tokens.officer}`);
    const row = res.body.rows.find((r: { organization?: string; organizationId?: string }) => (r.organizationId ?? r.organization) === a.organizationId);
    expect(row?.count).toBe(views.body.items.length);
  });
});

describe('audit', () => {
  it('records account creation and every signing call, on an intact chain', async () => {
    const admin = await t.adminToken();
    const res = await t.http().get('/api/v1/audit?limit=1000').set('Authorization', `Bearer ${admin}`);
    const actions = new Set(res.body.items.map((i: { action: string }) => i.action));
    for (const action of ['signing-account.create', 'signing-account.sign', 'signing-account.sign-hash', 'signing-account.pin-change', 'signing-account.pin-failure']) {
      expect(actions).toContain(action);
    }
    const verify = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(verify.body.ok).toBe(true);
  });
});
