import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignCa, type ForeignCa } from '../support/foreign-ca.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { makeCsr, tokenRequest } from '../requests/support.js';
import { openAccount, post } from '../signing/support.js';
import { toPem } from '../../src/pki/pem.js';

// #13 item 10: what an account reports, one active account per user and identifier, and batches
// re-posted with the same Idempotency-Key.
let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;
let admin: string;
let national: ForeignCa;
let offsetMs = 0;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const uid = () => `CCCD:0019${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

beforeAll(async () => {
  t = await startTestKyso({ clock: { now: () => new Date(Date.now() + offsetMs) } });
  admin = await t.adminToken();
  a = await seedTenant(t, 'state-a');
  b = await seedTenant(t, 'state-b');
  national = await foreignCa('Idempotency Test CA');
  expect((await t.http().post('/api/v1/trust-anchors').set(bearer(admin)).send({ name: 'National', pem: toPem(national.certificate, 'CERTIFICATE') })).status).toBe(201);
});
afterAll(async () => t?.close());

describe('a signing account whose certificate cannot sign', () => {
  const status = async (id: string, token = a.tokens.officer) => {
    const one = await t.http().get(`/api/v1/signing-accounts/${id}`).set(bearer(token));
    const list = await t.http().get(`/api/v1/signing-accounts?organizationId=${a.organizationId}&limit=1000`).set(bearer(token));
    const listed = list.body.items.find((i: { id: string }) => i.id === id);
    expect(listed.status).toBe(one.body.status);
    return one.body.status as string;
  };

  it('reports suspended, active again after resume, then revoked; never "active"', async () => {
    const account = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: '135790', uid: uid() });
    const cert = (action: string, body: object = {}) => post(t, a.tokens.officer, `/api/v1/certificates/${account.certificateSerial}/${action}`, body);
    expect(await status(account.id)).toBe('active');
    expect((await cert('suspend', { reason: 'certificateHold' })).status).toBeLessThan(300);
    expect(await status(account.id)).toBe('suspended');
    expect((await cert('resume')).status).toBeLessThan(300);
    expect(await status(account.id)).toBe('active');
    expect((await cert('revoke', { reason: 'keyCompromise' })).status).toBeLessThan(300);
    expect(await status(account.id)).toBe('revoked');
  });

  it('reports expired once the certificate is past notAfter', async () => {
    const account = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: '135790', uid: uid() });
    const view = await t.http().get(`/api/v1/signing-accounts/${account.id}`).set(bearer(a.tokens.officer));
    offsetMs = new Date(view.body.notAfter).getTime() - Date.now() + 864e5;
    try {
      // a session opened at that time (today's have expired by then)
      expect(await status(account.id, await t.login('officer-state-a', 'officer-password-state-a'))).toBe('expired');
    } finally {
      offsetMs = 0;
    }
  });
});

describe('one active account per user and identifier', () => {
  it('refuses a second active account for the same user and UID (409), alone or in a batch, and allows it once the first is revoked', async () => {
    const same = uid();
    const first = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: '135790', uid: same });
    const again = await post(t, a.tokens.officer, '/api/v1/signing-accounts', { userId: a.userIds.signer, organizationId: a.organizationId, pin: '135790', commonName: 'Nguyễn Thị Lan', uid: [same] });
    expect(again.status).toBe(409);
    expect(again.type).toBe('application/problem+json');
    // another identifier is another account
    await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: '135790', uid: uid() });

    const fresh = uid();
    const row = { userId: a.userIds.signer, organizationId: a.organizationId, pin: '246813', commonName: 'Nguyễn Thị Lan', uid: fresh };
    const batch = await post(t, a.tokens.officer, '/api/v1/signing-accounts/batch', [row, row]);
    expect(batch.status).toBe(207);
    expect(batch.body.results.map((r: { status: string; error?: { status: number } }) => r.error?.status ?? r.status)).toEqual(['active', 409]);

    expect((await post(t, a.tokens.officer, `/api/v1/certificates/${first.certificateSerial}/revoke`, { reason: 'superseded' })).status).toBeLessThan(300);
    const replaced = await post(t, a.tokens.officer, '/api/v1/signing-accounts', { userId: a.userIds.signer, organizationId: a.organizationId, pin: '135790', commonName: 'Nguyễn Thị Lan', uid: same });
    expect(replaced.status).toBe(201);
  });
});

describe('Idempotency-Key on batch routes', () => {
  const countRequests = async (token: string) => {
    const res = await t.http().get(`/api/v1/certificate-requests?organizationId=${a.organizationId}&limit=1000`).set(bearer(token));
    expect(res.status).toBe(200);
    return res.body.items.length as number;
  };

  it('replays the first answer of a re-posted request batch, refuses the key with another body, and keeps keys per user', async () => {
    const body = [tokenRequest(a.organizationId, (await makeCsr()).pem), tokenRequest(a.organizationId, (await makeCsr()).pem)];
    const before = await countRequests(a.tokens.officer);
    const send = (token: string, key: string, payload: unknown) =>
      t.http().post('/api/v1/certificate-requests/batch').set(bearer(token)).set('Idempotency-Key', key).send(payload as object);
    const first = await send(a.tokens.agency, 'school-batch-1', body);
    expect(first.status).toBe(207);
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(['submitted', 'submitted']);
    const replay = await send(a.tokens.agency, 'school-batch-1', body);
    expect(replay.status).toBe(207);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await countRequests(a.tokens.officer)).toBe(before + 2);

    const other = await send(a.tokens.agency, 'school-batch-1', body.slice(0, 1));
    expect(other.status).toBe(422);
    expect(other.type).toBe('application/problem+json');
    // another user's key of the same name is theirs
    const officers = await send(a.tokens.officer, 'school-batch-1', body);
    expect(officers.status).toBe(207);
    expect(officers.headers['idempotent-replayed']).toBeUndefined();
    expect(officers.body.results.map((r: { id: string }) => r.id)).not.toEqual(first.body.results.map((r: { id: string }) => r.id));
    expect(await countRequests(a.tokens.officer)).toBe(before + 4);
    // without the header nothing changes: a re-post is a new batch
    expect((await t.http().post('/api/v1/certificate-requests/batch').set(bearer(a.tokens.agency)).send(body)).status).toBe(207);
    expect(await countRequests(a.tokens.officer)).toBe(before + 6);

    expect((await send(a.tokens.agency, 'x'.repeat(256), body)).status).toBe(400);
    expect((await send(a.tokens.agency, 'bad key', body)).status).toBe(400);
  });

  it('replays an import batch and a signing-account batch without storing anything twice', async () => {
    const leaves = national.leaves(2).map((der) => ({ pem: toPem(der, 'CERTIFICATE'), holder: 'individual', medium: 'token', organizationId: b.organizationId }));
    const imported = await t.http().post('/api/v1/certificates/import/batch').set(bearer(admin)).set('Idempotency-Key', 'import-1').send(leaves);
    expect(imported.body.results.map((r: { status: string }) => r.status)).toEqual(['imported', 'imported']);
    const importedAgain = await t.http().post('/api/v1/certificates/import/batch').set(bearer(admin)).set('Idempotency-Key', 'import-1').send(leaves);
    expect(importedAgain.status).toBe(207);
    expect(importedAgain.body).toEqual(imported.body);

    const rows = [{ userId: b.userIds.signer, organizationId: b.organizationId, pin: '246813', commonName: 'Trần Văn Bình', uid: uid() }];
    const opened = await t.http().post('/api/v1/signing-accounts/batch').set(bearer(b.tokens.officer)).set('Idempotency-Key', 'accounts-1').send(rows);
    expect(opened.body.results[0].status).toBe('active');
    const openedAgain = await t.http().post('/api/v1/signing-accounts/batch').set(bearer(b.tokens.officer)).set('Idempotency-Key', 'accounts-1').send(rows);
    expect(openedAgain.body).toEqual(opened.body);
    const accounts = await t.http().get(`/api/v1/signing-accounts?organizationId=${b.organizationId}`).set(bearer(b.tokens.officer));
    expect(accounts.body.items).toHaveLength(1);

    const doc = (await t.http().get('/api/v1/openapi.json')).body;
    for (const path of ['/api/v1/certificate-requests/batch', '/api/v1/certificates/import/batch', '/api/v1/signing-accounts/batch']) {
      expect(doc.paths[path].post.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toContain('header:Idempotency-Key');
    }
  });
});
