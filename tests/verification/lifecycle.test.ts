import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../src/pki/pem.js';
import { makeCsr, tokenRequest } from '../requests/support.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { externalPki, openssl, opensslSign, verifyJson, type TestSigner } from './fixtures.js';
import { addSignature, prepareSignature, unsignedPdf } from './pdf-fixture.js';

const DOCUMENT = Buffer.from('Học bạ số — lớp 10A3, năm học 2026-2027\n', 'utf8');
const PIN = '246810';

let t: TestKyso;
let tmp: Scratch;
let tenant: Awaited<ReturnType<typeof seedTenant>>;

beforeAll(async () => {
  t = await startTestKyso();
  tmp = scratch();
  tenant = await seedTenant(t, 'lifecycle');
});
afterAll(async () => {
  tmp?.remove();
  await t?.close();
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Issues a token certificate through the request flow and writes it with its key for openssl. */
async function issued(name: string): Promise<TestSigner> {
  const { pem, privateKey } = await makeCsr();
  // Four eyes: the agency submits, the officer approves.
  const submitted = await t.http().post('/api/v1/certificate-requests').set(auth(tenant.tokens.agency)).send(tokenRequest(tenant.organizationId, pem));
  expect(submitted.status).toBe(201);
  const approved = await t.http().post(`/api/v1/certificate-requests/${submitted.body.id}/approve`).set(auth(tenant.tokens.officer));
  expect(approved.status).toBe(200);
  const chain = await t.http().get(`/api/v1/certificates/${approved.body.certificate.serial}/chain`).set(auth(tenant.tokens.officer));
  expect(chain.status).toBe(200);
  return {
    keyFile: tmp.write(`${name}.key`, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    certFile: tmp.write(`${name}.pem`, approved.body.certificate.pem),
    // the chain endpoint puts the leaf first: openssl wants only the CAs in -certfile
    chainFile: tmp.write(`${name}-chain.pem`, chain.text.slice(chain.text.indexOf('-----END CERTIFICATE-----') + 26)),
    certDer: Buffer.alloc(0),
    serial: approved.body.certificate.serial,
  };
}

describe('verification over the certificate lifecycle', () => {
  it('follows a certificate issued by kyso from good to revoked', async () => {
    const signer = await issued('lifecycle-token');
    const signature = opensslSign(tmp, signer, DOCUMENT);
    const good = await verifyJson(t, { document: DOCUMENT, signature });
    expect(good.body.indication).toBe('TOTAL_PASSED');
    expect(good.body.signatures[0]).toMatchObject({ certificateStatus: 'good', signer: { serial: signer.serial, uid: ['CCCD:001203004567'] } });

    const suspend = await t.http().post(`/api/v1/certificates/${signer.serial}/suspend`).set(auth(tenant.tokens.officer)).send({ reason: 'certificateHold' });
    expect(suspend.status).toBe(200);
    const held = await verifyJson(t, { document: DOCUMENT, signature });
    expect(held.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(held.body.signatures[0].certificateStatus).toBe('suspended');

    expect((await t.http().post(`/api/v1/certificates/${signer.serial}/resume`).set(auth(tenant.tokens.officer)).send({})).status).toBe(200);
    expect((await verifyJson(t, { document: DOCUMENT, signature })).body.signatures[0].certificateStatus).toBe('good');

    const revoke = await t.http().post(`/api/v1/certificates/${signer.serial}/revoke`).set(auth(tenant.tokens.officer)).send({ reason: 'keyCompromise' });
    expect(revoke.status).toBe(200);
    const revoked = await verifyJson(t, { document: DOCUMENT, signature });
    expect(revoked.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
    expect(revoked.body.signatures[0]).toMatchObject({ certificateStatus: 'revoked', revocationReason: 'keyCompromise' });
  });

  it('trusts a PKI registered through POST /api/v1/trust-anchors', async () => {
    const other = externalPki(tmp, 'GovCA');
    const signature = opensslSign(tmp, other.signer, DOCUMENT);
    expect((await verifyJson(t, { document: DOCUMENT, signature })).body.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    const anchor = await t
      .http()
      .post('/api/v1/trust-anchors')
      .set(auth(await t.adminToken()))
      .send({ name: 'Gov CA', pem: toPem(other.root, 'CERTIFICATE') });
    expect(anchor.status).toBe(201);
    // The chain is found now; with no CRL or OCSP to ask the verdict waits (TRY_LATER), it does not pass.
    expect((await verifyJson(t, { document: DOCUMENT, signature })).body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
  });
});

describe('signatures made by kyso’s signing accounts', () => {
  let account: { id: string; certificateSerial: string };
  const sign = (body: Record<string, unknown>) =>
    t.http().post(`/api/v1/signing-accounts/${account.id}/sign`).set(auth(tenant.tokens.signer)).send({ pin: PIN, ...body });

  beforeAll(async () => {
    const res = await t
      .http()
      .post('/api/v1/signing-accounts')
      .set(auth(tenant.tokens.officer))
      .send({ userId: tenant.userIds.signer, organizationId: tenant.organizationId, pin: '480264', commonName: 'Nguyễn Văn Signer', uid: 'CCCD:001099055555' });
    expect(res.status).toBe(201);
    account = res.body;
    // A new account signs only after its holder replaced the officer's first PIN.
    const changed = await t.http().post(`/api/v1/signing-accounts/${account.id}/pin`).set(auth(tenant.tokens.signer)).send({ pin: '480264', newPin: PIN });
    expect(changed.status).toBe(204);
  });

  it('passes kyso’s CMS (detached and enveloping), PAdES and sign-hash signatures', async () => {
    const detached = await sign({ document: DOCUMENT.toString('base64'), format: 'cms' });
    expect(detached.status).toBe(200);
    const res = await verifyJson(t, { document: DOCUMENT, signature: Buffer.from(detached.body.signature, 'base64') });
    expect(res.body.indication).toBe('TOTAL_PASSED');
    expect(res.body.signatures[0]).toMatchObject({ certificateStatus: 'good', signer: { serial: account.certificateSerial, uid: ['CCCD:001099055555'] } });

    const enveloping = await sign({ document: DOCUMENT.toString('base64'), format: 'cms', detached: false });
    expect((await verifyJson(t, { signature: Buffer.from(enveloping.body.signature, 'base64') })).body.indication).toBe('TOTAL_PASSED');

    const pades = await sign({ document: unsignedPdf().toString('base64'), format: 'pades' });
    expect(pades.status).toBe(200);
    const pdf = Buffer.from(pades.body.document, 'base64');
    const pdfReport = await verifyJson(t, { document: pdf });
    expect(pdfReport.body.indication).toBe('TOTAL_PASSED');
    expect(pdfReport.body.signatures[0]).toMatchObject({ format: 'PAdES', warnings: [] });

    const hashes = [DOCUMENT, pdf].map((d) => createHash('sha256').update(d).digest());
    const signedHashes = await t
      .http()
      .post(`/api/v1/signing-accounts/${account.id}/sign-hash`)
      .set(auth(tenant.tokens.signer))
      .send({ pin: PIN, hashAlgorithm: 'SHA-256', hashes: hashes.map((h) => h.toString('base64')) });
    expect(signedHashes.status).toBe(200);
    const [overDocument, overPdf] = signedHashes.body.signatures.map((s: string) => Buffer.from(s, 'base64'));
    expect((await verifyJson(t, { document: DOCUMENT, signature: overDocument })).body.indication).toBe('TOTAL_PASSED');
    expect((await verifyJson(t, { document: pdf, signature: overPdf })).body.indication).toBe('TOTAL_PASSED');
    expect((await verifyJson(t, { document: pdf, signature: overDocument })).body.subIndication).toBe('HASH_FAILURE');
  });

  it('reports every signature of a kyso PAdES PDF countersigned outside kyso', async () => {
    const pades = await sign({ document: unsignedPdf().toString('base64'), format: 'pades' });
    const kysoSigned = Buffer.from(pades.body.document, 'base64');
    const other = externalPki(tmp, 'Countersign');
    await t.http().post('/api/v1/trust-anchors').set(auth(await t.adminToken())).send({ name: 'Countersign', pem: toPem(other.root, 'CERTIFICATE') });
    const twice = addSignature(kysoSigned, (bytes) => opensslSign(tmp, other.signer, bytes, ['-noattr']));
    const res = await verifyJson(t, { document: twice });
    expect(res.body.signatures.map((s: { signer: { serial: string } }) => s.signer.serial)).toEqual([account.certificateSerial, other.signer.serial]);
    // kyso's signature passes on kyso's records; the other PKI has no revocation service, so its signature waits.
    expect(res.body.signatures.map((s: { indication: string; revocationSource: string }) => [s.indication, s.revocationSource])).toEqual([
      ['TOTAL_PASSED', 'kyso'],
      ['INDETERMINATE', 'none'],
    ]);
  });

  it('verifies a document time-stamp (ETSI.RFC3161) from kyso’s TSA over a signed PDF', async () => {
    const pades = await sign({ document: unsignedPdf().toString('base64'), format: 'pades' });
    const signed = Buffer.from(pades.body.document, 'base64');
    // What a PAdES-B-LTA tool does: ask the TSA for a token over the ByteRange, put it in /Contents.
    const prepared = prepareSignature(signed, { subFilter: 'ETSI.RFC3161' });
    const query = openssl('ts', '-query', '-data', tmp.write('doc-ts.bin', prepared.signedBytes), '-sha256', '-cert');
    const reply = await t
      .http()
      .post('/pki/tsa')
      .set('Content-Type', 'application/timestamp-query')
      .send(query)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(reply.status).toBe(200);
    const token = openssl('ts', '-reply', '-in', tmp.write('doc-ts.tsr', reply.body as Buffer), '-token_out');
    const stamped = prepared.fill(token);
    const res = await verifyJson(t, { document: stamped });
    expect(res.body.indication).toBe('TOTAL_PASSED');
    expect(res.body.signatures.map((s: { format: string }) => s.format)).toEqual(['PAdES', 'PDF-DocTimeStamp']);
    expect(Math.abs(Date.parse(res.body.signatures[1].signingTime) - Date.now())).toBeLessThan(120_000);

    const tampered = Buffer.from(stamped);
    tampered.write('Hoc ba 10', tampered.indexOf('Hoc ba so'), 'latin1');
    const failed = await verifyJson(t, { document: tampered });
    expect(failed.body.signatures.map((s: { subIndication?: string }) => s.subIndication)).toEqual(['HASH_FAILURE', 'HASH_FAILURE']);
  });

  // Revokes the account's certificate: keep it last.
  it('uses a signature time-stamp as proof of existence: revoked afterwards still passes, and says so', async () => {
    const stamped = await sign({ document: DOCUMENT.toString('base64'), format: 'cms', timestamp: true });
    expect(stamped.status).toBe(200);
    const signature = Buffer.from(stamped.body.signature, 'base64');
    const unstamped = Buffer.from((await sign({ document: DOCUMENT.toString('base64'), format: 'cms' })).body.signature, 'base64');
    const before = await verifyJson(t, { document: DOCUMENT, signature });
    expect(before.body.indication).toBe('TOTAL_PASSED');
    expect(before.body.signatures[0].timestamp).toMatchObject({ valid: true, tsa: expect.stringContaining('CN=') });

    await new Promise((resolve) => setTimeout(resolve, 1100)); // revocation time strictly after the time-stamp's whole second
    const revoke = await t.http().post(`/api/v1/certificates/${account.certificateSerial}/revoke`).set(auth(tenant.tokens.officer)).send({ reason: 'cessationOfOperation' });
    expect(revoke.status).toBe(200);
    const stampedReport = await verifyJson(t, { document: DOCUMENT, signature });
    expect(stampedReport.body.indication).toBe('TOTAL_PASSED');
    expect(stampedReport.body.signatures[0].certificateStatus).toBe('revoked');
    expect(stampedReport.body.signatures[0].warnings.join(' ')).toMatch(/revoked after the time-stamped signing time/);

    // Without the time-stamp nothing proves the signature came first.
    const unproven = await verifyJson(t, { document: DOCUMENT, signature: unstamped });
    expect(unproven.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
  });
});
