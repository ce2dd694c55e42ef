import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../../src/pki/certificate.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import { readCertificate } from '../../src/pki/x509-reader.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { issueToken, openssl } from '../requests/support.js';

let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;
let admin: string;
let dir: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const sh = (args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** An external CA made with openssl (the national CA of these tests) and its end-entity certificates. */
function externalCa(name: string): { pem: string; issue(cn: string, uid: string, extra?: string[]): string } {
  sh(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '3650',
    '-subj', `/C=VN/O=Ban Cơ yếu Chính phủ/CN=${name}`, '-utf8', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let n = 0;
  return {
    pem: readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    issue: (cn, uid, extra = []) => {
      const base = `${name}-ee-${n++}`;
      sh(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-utf8', '-subj', `/C=VN/CN=${cn}/UID=${uid}`]);
      sh(['x509', '-req', '-in', `${base}.csr`, '-CA', `${name}.pem`, '-CAkey', `${name}.key`, '-CAcreateserial', '-days', '365', '-out', `${base}.pem`, ...extra]);
      return readFileSync(path.join(dir, `${base}.pem`), 'utf8');
    },
  };
}

let national: ReturnType<typeof externalCa>;
let unknown: ReturnType<typeof externalCa>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-import-'));
  t = await startTestKyso();
  admin = await t.adminToken();
  a = await seedTenant(t, 'cert-a', { name: 'Sở Tư pháp', sector: 'justice', province: 'Đà Nẵng' });
  b = await seedTenant(t, 'cert-b');
  national = externalCa('National Test Root');
  unknown = externalCa('Unknown Root');
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (url: string, token: string, body?: unknown) => t.http().post(url).set(auth(token)).send((body ?? {}) as object);
const importBody = (pem: string, organizationId = a.organizationId) => ({ pem, holder: 'individual', medium: 'token', organizationId });

describe('trust anchors', () => {
  it('admin adds a CA certificate; others may not; non-CA, garbage and duplicates are refused', async () => {
    expect((await post('/api/v1/trust-anchors', a.tokens.officer, { name: 'National', pem: national.pem })).status).toBe(403);
    const created = await post('/api/v1/trust-anchors', admin, { name: 'National', pem: national.pem });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'National', subject: 'C=VN, O=Ban Cơ yếu Chính phủ, CN=National Test Root' });
    expect((await post('/api/v1/trust-anchors', admin, { name: 'Again', pem: national.pem })).status).toBe(409);
    expect((await post('/api/v1/trust-anchors', admin, { name: 'Leaf', pem: national.issue('Lá', 'CCCD:001203004500') })).status).toBe(422);
    expect((await post('/api/v1/trust-anchors', admin, { name: 'Junk', pem: 'not a certificate' })).status).toBe(400);
    expect((await post('/api/v1/trust-anchors', admin, { name: 'Junk', pem: '-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----' })).status).toBe(400);
    const list = await t.http().get('/api/v1/trust-anchors').set(auth(a.tokens.officer));
    expect(list.body.map((x: { name: string }) => x.name)).toEqual(['National']);
    expect((await t.http().get('/api/v1/trust-anchors').set(auth(a.tokens.agency))).status).toBe(403);
  });
});

describe('import', () => {
  it('records a certificate of a trust anchor with the organization sector and province, once', async () => {
    const pem = national.issue('Võ Thị Sáu', 'CCCD:049203004567');
    const res = await post('/api/v1/certificates/import', a.tokens.officer, importBody(pem));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ source: 'imported', commonName: 'Võ Thị Sáu', uid: ['CCCD:049203004567'], sector: 'justice', province: 'Đà Nẵng', status: 'active', issuer: 'C=VN, O=Ban Cơ yếu Chính phủ, CN=National Test Root' });
    const serial = openssl(['x509', '-noout', '-serial', '-in', { file: 'c.pem', content: pem }]).trim().split('=')[1]!.toLowerCase().replace(/^0+/, '');
    expect(res.body.serial).toBe(serial);
    expect(new Date(res.body.notBefore).getTime()).toBe(new Date(openssl(['x509', '-noout', '-startdate', '-in', { file: 'c.pem', content: pem }]).split('=')[1]!).getTime());
    expect((await post('/api/v1/certificates/import', a.tokens.officer, importBody(pem))).status).toBe(409);
    const chain = await t.http().get(`/api/v1/certificates/${res.body.serial}/chain`).set(auth(a.tokens.agency));
    expect(chain.text).toContain(national.pem.trim().split('\n')[1]);
  });

  it('accepts an expired certificate and dates its activity from notBefore', async () => {
    const caKey = createPrivateKey(readFileSync(path.join(dir, 'National Test Root.key')));
    const signer = new KeyObjectSigner(caKey);
    // the issuer Name bytes, read from the CA certificate itself
    const ca = readCertificate(Buffer.from(national.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    const der = await buildCertificate(
      {
        serialNumber: Buffer.from('0a0b0c0d0e0f', 'hex'),
        issuer: ca.subjectDer,
        subject: encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.commonName, value: 'Lý Thường Kiệt' }, { type: OID.userId, value: 'CMND:012345678' }]),
        notBefore: new Date('2019-03-01T00:00:00Z'),
        notAfter: new Date('2022-03-01T00:00:00Z'),
        subjectPublicKeyInfo: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }),
        extensions: [],
      },
      signer,
    );
    const res = await post('/api/v1/certificates/import', admin, importBody(toPem(der, 'CERTIFICATE')));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ serial: 'a0b0c0d0e0f', status: 'expired', notBefore: '2019-03-01T00:00:00.000Z' });
    const changes = await t.kyso.services.knex('certificate_status_changes as s').join('certificates as c', 'c.id', 's.certificate_id').where('c.serial', 'a0b0c0d0e0f').select('s.at', 's.status');
    expect(changes).toEqual([{ at: new Date('2019-03-01T00:00:00Z'), status: 'active' }]);
  });

  it.each([
    ['an unknown issuer', () => unknown.issue('Ai Đó', 'CCCD:001203004501'), 422, /neither a built-in CA nor a trust anchor/],
    ['a CA certificate', () => national.pem, 422, /CA certificate/],
    ['garbage', () => 'hello', 400, /PEM/],
    ['a truncated certificate', () => '-----BEGIN CERTIFICATE-----\nMIIBIjAN\n-----END CERTIFICATE-----', 400, /X\.509/],
  ])('refuses %s', async (_name, pem, status, why) => {
    const res = await post('/api/v1/certificates/import', a.tokens.officer, importBody(pem()));
    expect(res.status).toBe(status);
    expect(res.body.detail).toMatch(why);
  });

  it('refuses a certificate whose signature does not verify', async () => {
    const pem = national.issue('Giả Mạo', 'CCCD:001203004502');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] ^= 0x01;
    const res = await post('/api/v1/certificates/import', a.tokens.officer, importBody(toPem(der, 'CERTIFICATE')));
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/does not verify/);
  });

  it('refuses a certificate kyso issued itself (already known) and anything from agencies', async () => {
    const own = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    expect((await post('/api/v1/certificates/import', admin, importBody(own.pem))).status).toBe(409);
    expect((await post('/api/v1/certificates/import', a.tokens.agency, importBody(national.issue('X', 'CCCD:001203004503')))).status).toBe(403);
    expect((await post('/api/v1/certificates/import', admin, { ...importBody(national.issue('X', 'CCCD:001203004504')), organizationId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it('imports a batch item by item', async () => {
    const good = national.issue('Nguyễn Trãi', 'CCCD:001203004505');
    const items = [importBody(good), importBody(unknown.issue('Y', 'CCCD:001203004506')), importBody(good), { pem: good }, importBody(national.issue('Trần Hưng Đạo', 'CCCD:001203004507'))];
    const res = await post('/api/v1/certificates/import/batch', a.tokens.officer, items);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r: { status: string; error?: { status: number } }) => r.error?.status ?? r.status)).toEqual(['imported', 422, 409, 400, 'imported']);
    expect((await post('/api/v1/certificates/import/batch', a.tokens.officer, Array.from({ length: 501 }, () => ({})))).status).toBe(413);
  });
});

describe('reading certificates', () => {
  it('filters, searches, paginates and keeps agencies to their organization', async () => {
    const mine = await issueToken(t, b.organizationId, b.tokens.agency, b.tokens.officer);
    const list = (q: string, token = admin) => t.http().get(`/api/v1/certificates?${q}`).set(auth(token));
    expect((await list('limit=1000', a.tokens.agency)).body.items.every((c: { organizationId: string }) => c.organizationId === a.organizationId)).toBe(true);
    expect((await t.http().get(`/api/v1/certificates/${mine.serial}`).set(auth(a.tokens.agency))).status).toBe(404);
    expect((await t.http().get(`/api/v1/certificates/${mine.serial}/der`).set(auth(a.tokens.agency))).status).toBe(404);
    expect((await list(`organizationId=${b.organizationId}`, a.tokens.agency)).body.items).toEqual([]);
    expect((await list(`q=${mine.serial}`)).body.items.map((c: { serial: string }) => c.serial)).toEqual([mine.serial]);
    expect((await list(`q=${encodeURIComponent('võ thị')}`)).body.items.map((c: { commonName: string }) => c.commonName)).toEqual(['Võ Thị Sáu']);
    expect((await list('q=049203004567')).body.items).toHaveLength(1);
    expect((await list('status=expired')).body.items.map((c: { serial: string }) => c.serial)).toEqual(['a0b0c0d0e0f']);
    expect((await list('sector=justice&medium=token&holder=individual&limit=1000')).body.items.every((c: { sector: string }) => c.sector === 'justice')).toBe(true);
    expect((await list('status=bogus')).status).toBe(400);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ serial: string }>; nextCursor: string | null } } = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      page.body.items.forEach((c) => seen.add(c.serial));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.size).toBe((await list('limit=1000')).body.items.length);
  });

  it('serves PEM, DER and a chain openssl verifies', async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    const pem = await t.http().get(`/api/v1/certificates/${c.serial}/pem`).set(auth(a.tokens.agency));
    expect(pem.headers['content-type']).toMatch(/application\/x-pem-file/);
    expect(pem.text).toBe(c.pem);
    const der = await t.http().get(`/api/v1/certificates/${c.serial.toUpperCase()}/der`).set(auth(a.tokens.agency)).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(der.headers['content-type']).toMatch(/application\/pkix-cert/);
    expect(toPem(der.body as Buffer, 'CERTIFICATE')).toBe(c.pem);
    const chain = await t.http().get(`/api/v1/certificates/${c.serial}/chain`).set(auth(a.tokens.agency));
    const blocks = chain.text.match(/-----BEGIN CERTIFICATE-----/g);
    expect(blocks).toHaveLength(3);
    expect(chain.text.startsWith(c.pem)).toBe(true);
    const root = chain.text.slice(chain.text.lastIndexOf('-----BEGIN'));
    expect(openssl(['verify', '-CAfile', { file: 'root.pem', content: root }, '-untrusted', { file: 'chain.pem', content: chain.text }, { file: 'leaf.pem', content: c.pem }])).toMatch(/OK/);
    expect((await t.http().get('/api/v1/certificates/zz-not-hex').set(auth(admin))).status).toBe(404);
  });

  it('shows a synthetic demo row (no DER) without a PEM, and 404s its PEM, DER and chain', async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    await t.kyso.services.knex('certificates').where({ serial: c.serial }).update({ der: Buffer.alloc(0), synthetic: true });
    const view = await t.http().get(`/api/v1/certificates/${c.serial}`).set(auth(admin));
    expect(view.status).toBe(200);
    expect(view.body.pem).toBeNull();
    for (const form of ['pem', 'der', 'chain']) {
      const res = await t.http().get(`/api/v1/certificates/${c.serial}/${form}`).set(auth(admin));
      expect(res.status).toBe(404);
      expect(res.body.detail).toMatch(/synthetic/);
    }
  });
});

describe('revoke, suspend, resume', () => {
  it('follows the lifecycle: suspended is reversible, revoked is final', async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    const act = (verb: string, token = a.tokens.officer, body?: object) => post(`/api/v1/certificates/${c.serial}/${verb}`, token, body);
    expect((await act('resume')).status).toBe(409);
    const suspended = await act('suspend');
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expect(suspended.body.suspendedAt).toBeDefined();
    expect((await act('suspend')).status).toBe(409);
    expect((await act('resume', admin)).body.status).toBe('active');
    expect((await act('revoke', a.tokens.officer, { reason: 'notAReason' })).status).toBe(400);
    expect((await act('revoke', a.tokens.officer, { reason: 'certificateHold' })).status).toBe(400);
    const revoked = await act('revoke', a.tokens.officer, { reason: 'cessationOfOperation' });
    expect(revoked.body).toMatchObject({ status: 'revoked', revocationReason: 'cessationOfOperation' });
    expect(revoked.body.revokedAt).toBeDefined();
    for (const verb of ['revoke', 'suspend', 'resume']) expect((await act(verb)).status).toBe(409);
  });

  it('defaults the reason to unspecified and refuses other roles', async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    for (const token of [a.tokens.agency, a.tokens.signer, a.tokens.auditor]) {
      expect((await post(`/api/v1/certificates/${c.serial}/revoke`, token, { reason: 'keyCompromise' })).status).toBe(403);
      expect((await post(`/api/v1/certificates/${c.serial}/suspend`, token)).status).toBe(403);
    }
    const res = await t.http().post(`/api/v1/certificates/${c.serial}/revoke`).set(auth(admin));
    expect(res.body).toMatchObject({ status: 'revoked', revocationReason: 'unspecified' });
    expect((await post('/api/v1/certificates/00ff/revoke', admin)).status).toBe(404);
  });
});

describe('file certificates and PKCS#12', () => {
  it('generates the key, delivers it once as a PKCS#12 openssl 3 opens without -legacy', async () => {
    const req = await post('/api/v1/certificate-requests', a.tokens.agency, { kind: 'new', holder: 'organization', medium: 'file', organizationId: a.organizationId, subject: { commonName: 'Sở Tư pháp Đà Nẵng', uid: 'MST:0401234567' } });
    expect(req.status).toBe(201);
    const approved = await post(`/api/v1/certificate-requests/${req.body.id}/approve`, a.tokens.officer);
    expect(approved.status).toBe(200);
    const serial = approved.body.certificate.serial;
    expect((await t.http().get(`/api/v1/certificates/${serial}`).set(auth(a.tokens.agency))).body.keyDelivered).toBe(false);
    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, a.tokens.agency, { password: 'short' })).status).toBe(422);
    // Printable ASCII only (Java's keytool refuses others; NULs made the key unusable), 8–64 characters.
    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, a.tokens.agency, { password: 'mật khẩu an toàn' })).status).toBe(422);
    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, a.tokens.agency, { password: '\u0000'.repeat(10) })).status).toBe(400);
    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, a.tokens.agency, { password: 'x'.repeat(65) })).status).toBe(422);
    // Officers and admins may not take a subscriber's key (issue #13 item 9): 403, before the body is read.
    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, a.tokens.officer, { password: 'Mat khau an toan 2026' })).status).toBe(403);
    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, admin, {})).status).toBe(403);
    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, b.tokens.agency, { password: 'Mat khau an toan 2026' })).status).toBe(404);
    const res = await t.http().post(`/api/v1/certificates/${serial}/pkcs12`).set(auth(a.tokens.agency)).send({ password: 'Mat khau an toan 2026' }).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (d: Buffer) => chunks.push(d));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-pkcs12/);
    const p12 = res.body as Buffer;
    const p12file = path.join(dir, 'file.p12');
    writeFileSync(p12file, p12);
    const info = execFileSync('openssl', ['pkcs12', '-info', '-nokeys', '-in', p12file, '-passin', 'pass:Mat khau an toan 2026'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // leaf (with the localKeyID that pairs it with the key), then the issuing CA and the root
    expect(info).toMatch(/localKeyID[\s\S]*UID = MST:0401234567[\s\S]*CN = Kyso Dev Issuing CA[\s\S]*CN = Kyso Dev Root CA/);
    // the MAC and the key encryption are the modern ones
    const stderr = execFileSync('sh', ['-c', `openssl pkcs12 -info -nokeys -nocerts -in "${p12file}" -passin "pass:Mat khau an toan 2026" 2>&1`], { encoding: 'utf8' });
    expect(stderr).toMatch(/MAC: sha256/);
    expect(stderr).toMatch(/PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    // the key in the PKCS#12 is the certificate's
    const keyPem = execFileSync('openssl', ['pkcs12', '-in', p12file, '-passin', 'pass:Mat khau an toan 2026', '-nocerts', '-nodes'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const fromKey = execFileSync('openssl', ['pkey', '-pubout'], { input: keyPem, encoding: 'utf8' });
    const fromCert = openssl(['x509', '-noout', '-pubkey', '-in', { file: 'c.pem', content: approved.body.certificate.pem }]);
    expect(fromKey).toBe(fromCert);
    expect(() => execFileSync('openssl', ['pkcs12', '-info', '-nokeys', '-in', p12file, '-passin', 'pass:wrong password'], { stdio: 'pipe' })).toThrow();

    expect((await post(`/api/v1/certificates/${serial}/pkcs12`, a.tokens.agency, { password: 'Mat khau an toan 2026' })).status).toBe(409);
    expect((await t.http().get(`/api/v1/certificates/${serial}`).set(auth(a.tokens.agency))).body.keyDelivered).toBe(true);
    const stored = await t.kyso.services.knex('certificates').where({ serial }).first('wrapped_key');
    expect(stored.wrapped_key).toBeNull();
  });

  it('delivers the key once to two calls at the same moment, and not after revocation', async () => {
    const fileCertificate = async (commonName: string) => {
      const req = await post('/api/v1/certificate-requests', a.tokens.agency, { kind: 'new', holder: 'organization', medium: 'file', organizationId: a.organizationId, subject: { commonName, uid: 'MST:0401234567' } });
      return (await post(`/api/v1/certificate-requests/${req.body.id}/approve`, a.tokens.officer)).body.certificate.serial as string;
    };
    const serial = await fileCertificate('Sở Tư pháp Huế');
    const both = await Promise.all([1, 2].map(() => post(`/api/v1/certificates/${serial}/pkcs12`, a.tokens.agency, { password: 'Mat khau an toan 2026' })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const delivered = await t.kyso.services.knex('audit_events').where({ action: 'certificate.pkcs12-deliver', target_id: serial }).count({ n: '*' });
    expect(Number(delivered[0]!.n)).toBe(1);

    const revoked = await fileCertificate('Sở Tư pháp Quảng Nam');
    expect((await post(`/api/v1/certificates/${revoked}/revoke`, admin, { reason: 'keyCompromise' })).status).toBe(200);
    const res = await post(`/api/v1/certificates/${revoked}/pkcs12`, a.tokens.agency, { password: 'Mat khau an toan 2026' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe(`certificate ${revoked} is revoked`);
  });

  it('has no PKCS#12 for a token certificate', async () => {
    const c = await issueToken(t, a.organizationId, a.tokens.agency, a.tokens.officer);
    expect((await post(`/api/v1/certificates/${c.serial}/pkcs12`, a.tokens.agency, { password: 'long enough password' })).status).toBe(409);
  });
});

