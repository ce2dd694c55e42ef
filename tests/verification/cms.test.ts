import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import {
  externalPki,
  insertTrustAnchor,
  kysoSigner,
  openssl,
  opensslSign,
  recordCertificate,
  verifyJson,
  type TestSigner,
} from './fixtures.js';

const DOCUMENT = Buffer.from('Học bạ số — Nguyễn Thị Lan, lớp 12A1, năm học 2025-2026\n', 'utf8');

let t: TestKyso;
let tmp: Scratch;
let organizationId: string;
let ec: TestSigner;
let rsa: TestSigner;

beforeAll(async () => {
  t = await startTestKyso();
  tmp = scratch();
  organizationId = (await seedTenant(t, 'verify')).organizationId;
  ec = await kysoSigner(t, tmp, 'Nguyễn Thị Lan', { uids: ['CCCD:001099012345', 'MST:0101234567'] });
  rsa = await kysoSigner(t, tmp, 'Trần Văn Bình', { kind: 'rsa' });
  await recordCertificate(t, organizationId, ec.certDer);
  await recordCertificate(t, organizationId, rsa.certDer);
});
afterAll(async () => {
  tmp?.remove();
  await t?.close();
});

/** Flips one bit of the SignerInfo's signature value (the last OCTET STRING of the CMS). */
function tamperSignatureValue(cms: Buffer): Buffer {
  const copy = Buffer.from(cms);
  copy[copy.length - 5]! ^= 0x01;
  return copy;
}

describe('CMS signatures made by openssl', () => {
  it('passes a detached EC signature chaining to the built-in CA, reporting the signer', async () => {
    const signature = opensslSign(tmp, ec, DOCUMENT);
    const res = await verifyJson(t, { document: DOCUMENT, signature });
    expect(res.status).toBe(200);
    expect(res.body.indication).toBe('TOTAL_PASSED');
    expect(res.body.subIndication).toBeUndefined();
    const [report] = res.body.signatures;
    expect(report.indication).toBe('TOTAL_PASSED');
    expect(report.format).toBe('CMS');
    expect(report.signer.subject).toBe('C=VN, O=Trường THPT Chu Văn An, CN=Nguyễn Thị Lan, UID=CCCD:001099012345, UID=MST:0101234567');
    expect(report.signer.uid).toEqual(['CCCD:001099012345', 'MST:0101234567']);
    expect(report.signer.serial).toBe(ec.serial);
    expect(report.signer.issuer).toBe('C=VN, O=Kyso Development, CN=Kyso Dev Issuing CA');
    expect(report.certificateStatus).toBe('good');
    expect(report.chain).toEqual([report.signer.subject, 'C=VN, O=Kyso Development, CN=Kyso Dev Issuing CA', 'C=VN, O=Kyso Development, CN=Kyso Dev Root CA']);
    expect(Math.abs(Date.parse(report.signingTime) - Date.now())).toBeLessThan(120_000);
  });

  it('passes enveloping signatures sent alone: DER, with signing-certificate-v2 (-cades), streamed BER (-stream)', async () => {
    for (const extra of [['-nodetach'], ['-nodetach', '-cades'], ['-nodetach', '-stream']]) {
      const res = await verifyJson(t, { signature: opensslSign(tmp, ec, DOCUMENT, extra) });
      expect(res.status).toBe(200);
      expect(res.body.indication, extra.join(' ')).toBe('TOTAL_PASSED');
    }
  });

  it('passes RSA signatures: with attributes, without (-noattr), RSA-PSS, and a P-384 key with SHA-384', async () => {
    const p384 = await kysoSigner(t, tmp, 'Lê Văn Cường', { kind: 'p384' });
    await recordCertificate(t, organizationId, p384.certDer);
    for (const [signer, extra] of [
      [rsa, []],
      [rsa, ['-noattr']],
      [rsa, ['-keyopt', 'rsa_padding_mode:pss']],
      [p384, ['-md', 'sha384']],
      [p384, ['-md', 'sha512', '-noattr']],
    ] as const) {
      const res = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, signer, DOCUMENT, [...extra]) });
      expect(res.body.indication, extra.join(' ')).toBe('TOTAL_PASSED');
      expect(res.body.signatures[0].signingTime === undefined, extra.join(' ')).toBe((extra as readonly string[]).includes('-noattr'));
    }
  });

  it('fails a tampered document with HASH_FAILURE, or SIG_CRYPTO_FAILURE when nothing but the signature covers it', async () => {
    const tampered = Buffer.concat([DOCUMENT, Buffer.from(' ')]);
    const withAttributes = await verifyJson(t, { document: tampered, signature: opensslSign(tmp, ec, DOCUMENT) });
    expect(withAttributes.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' });
    const noAttributes = await verifyJson(t, { document: tampered, signature: opensslSign(tmp, rsa, DOCUMENT, ['-noattr']) });
    expect(noAttributes.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
  });

  it('fails a tampered signature value with SIG_CRYPTO_FAILURE', async () => {
    for (const signer of [ec, rsa]) {
      const signature = tamperSignatureValue(opensslSign(tmp, signer, DOCUMENT));
      const res = await verifyJson(t, { document: DOCUMENT, signature });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
    }
  });

  it('is INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND for a self-signed signer', async () => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', tmp.file('self.key'), '-out', tmp.file('self.pem'), '-days', '30', '-subj', '/CN=Self Signed');
    const self: TestSigner = { keyFile: tmp.file('self.key'), certFile: tmp.file('self.pem'), certDer: Buffer.alloc(0), serial: '' };
    const res = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, self, DOCUMENT) });
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    expect(res.body.signatures[0].certificateStatus).toBe('unknown');
  });

  it('trusts another PKI once its root, or only its intermediate, is a trust anchor', async () => {
    const other = externalPki(tmp, 'NationalRoot');
    const signature = opensslSign(tmp, other.signer, DOCUMENT);
    const before = await verifyJson(t, { document: DOCUMENT, signature });
    expect(before.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    await insertTrustAnchor(t, 'national-root', other.root);
    const after = await verifyJson(t, { document: DOCUMENT, signature });
    // Trusted now, but this PKI publishes no CRL or OCSP: INDETERMINATE/TRY_LATER (EN 319 102-1), not TOTAL_PASSED.
    expect(after.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(after.body.signatures[0].revocationSource).toBe('none');
    expect(after.body.signatures[0].reasons[0]).toMatch(/no OCSP responder and no CRL distribution point/);
    expect(after.body.signatures[0].chain).toEqual(['C=VN, CN=NationalRoot Signer, UID=CCCD:079200001234', 'C=VN, O=NationalRoot, CN=NationalRoot Intermediate CA', 'C=VN, O=NationalRoot, CN=NationalRoot Root CA']);
    expect(after.body.signatures[0].signer.uid).toEqual(['CCCD:079200001234']);
    expect(after.body.signatures[0].certificateStatus).toBe('unknown');

    const ministry = externalPki(tmp, 'Ministry');
    await insertTrustAnchor(t, 'ministry-intermediate', ministry.intermediate);
    const viaIntermediate = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, ministry.signer, DOCUMENT) });
    expect(viaIntermediate.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(viaIntermediate.body.signatures[0].chain).toHaveLength(2);
  });

  it('reports revoked and suspended certificates from kyso’s records', async () => {
    const revoked = await kysoSigner(t, tmp, 'Phạm Thu Hà');
    const signature = opensslSign(tmp, revoked, DOCUMENT);
    await recordCertificate(t, organizationId, revoked.certDer, { status: 'revoked', revokedAt: new Date(Date.now() - 60_000), reason: 'keyCompromise' });
    const res = await verifyJson(t, { document: DOCUMENT, signature });
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
    expect(res.body.signatures[0]).toMatchObject({ certificateStatus: 'revoked', revocationReason: 'keyCompromise' });

    const suspended = await kysoSigner(t, tmp, 'Hoàng Minh Đức');
    await recordCertificate(t, organizationId, suspended.certDer, { status: 'suspended', suspendedAt: new Date() });
    const held = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, suspended, DOCUMENT) });
    expect(held.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(held.body.signatures[0].certificateStatus).toBe('suspended');
  });

  it('is INDETERMINATE/OUT_OF_BOUNDS_NO_POE when the certificate had expired at the signing time', async () => {
    const expired = await kysoSigner(t, tmp, 'Võ Thị Mai', { notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
    await recordCertificate(t, organizationId, expired.certDer);
    const res = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, expired, DOCUMENT) });
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    expect(res.body.signatures[0].certificateStatus).toBe('good');
  });

  it('marks SHA-1 signatures INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE', async () => {
    const res = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, rsa, DOCUMENT, ['-md', 'sha1']) });
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' });
  });

  it('refuses a certificate without digitalSignature or nonRepudiation (CHAIN_CONSTRAINTS_FAILURE)', async () => {
    const encipherOnly = await kysoSigner(t, tmp, 'Key Encipherment Only', { kind: 'rsa', keyUsage: [2] });
    const res = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, encipherOnly, DOCUMENT) });
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
  });

  it('refuses a serverAuth-only extendedKeyUsage (CHAIN_CONSTRAINTS_FAILURE), as openssl cms -verify does; documentSigning, emailProtection or any purpose pass', async () => {
    const serverAuth = await kysoSigner(t, tmp, 'TLS Server Only', { extKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
    await recordCertificate(t, organizationId, serverAuth.certDer);
    const signature = opensslSign(tmp, serverAuth, DOCUMENT);
    const res = await verifyJson(t, { document: DOCUMENT, signature });
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    expect(res.body.signatures[0].reasons[0]).toMatch(/extendedKeyUsage/);
    // The independent check: openssl refuses the same signer for S/MIME signing.
    const root = tmp.write('eku-root.pem', toPem(t.kyso.services.authorities.chain(t.kyso.services.authorities.issuing()).at(-1)!.certificateDer, 'CERTIFICATE'));
    const verify = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', tmp.write('eku.p7s', signature), '-content', tmp.write('eku.txt', DOCUMENT), '-CAfile', root, '-certfile', serverAuth.chainFile!, '-out', tmp.file('eku.out')], { encoding: 'utf8' });
    expect(verify.status).not.toBe(0);
    expect(verify.stderr).toMatch(/unsuitable certificate purpose/);

    for (const purposes of [[OID.kpDocumentSigning], [OID.kpEmailProtection, OID.kpClientAuth], [OID.anyExtendedKeyUsage, '1.3.6.1.5.5.7.3.1']]) {
      const signer = await kysoSigner(t, tmp, `EKU ${purposes.join(' ')}`, { extKeyUsage: purposes });
      await recordCertificate(t, organizationId, signer.certDer);
      const ok = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, signer, DOCUMENT) });
      expect(ok.body.indication, purposes.join()).toBe('TOTAL_PASSED');
    }
  });

  it('finds a certificate left out of the CMS (-nocerts) in kyso’s records, and says so when it cannot', async () => {
    const known = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, ec, DOCUMENT, ['-nocerts']) });
    expect(known.body.indication).toBe('TOTAL_PASSED');
    expect(known.body.signatures[0].signer.serial).toBe(ec.serial);
    const stranger = await kysoSigner(t, tmp, 'Not Recorded');
    const unknown = await verifyJson(t, { document: DOCUMENT, signature: opensslSign(tmp, stranger, DOCUMENT, ['-nocerts']) });
    expect(unknown.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND' });
    expect(unknown.body.signatures[0].signer).toMatchObject({ serial: stranger.serial, issuer: 'C=VN, O=Kyso Development, CN=Kyso Dev Issuing CA' });
  });

  it('asks for the document when a detached signature comes alone (SIGNED_DATA_NOT_FOUND)', async () => {
    const res = await verifyJson(t, { signature: opensslSign(tmp, ec, DOCUMENT) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' });
  });

  it('reports every signer of a CMS, the overall indication being the worst', async () => {
    const signature = opensslSign(tmp, ec, DOCUMENT, ['-nodetach']);
    const resigned = tmp.write('two.p7s', signature);
    openssl('cms', '-resign', '-binary', '-inform', 'DER', '-in', resigned, '-signer', rsa.certFile, '-inkey', rsa.keyFile, '-certfile', rsa.chainFile!, '-outform', 'DER', '-out', tmp.file('two-out.p7s'), '-nodetach');
    const res = await verifyJson(t, { signature: tmp.read('two-out.p7s') });
    expect(res.body.signatures.map((s: { signer: { serial: string } }) => s.signer.serial).sort()).toEqual([ec.serial, rsa.serial].sort());
    expect(res.body.indication).toBe('TOTAL_PASSED');
    const tampered = await verifyJson(t, { document: Buffer.from('other'), signature: tmp.read('two-out.p7s') });
    expect(tampered.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' });
  });

  it('accepts multipart uploads with binary parts', async () => {
    const signature = opensslSign(tmp, ec, DOCUMENT);
    const res = await t
      .http()
      .post('/api/v1/verify')
      .attach('document', DOCUMENT, 'hoc-ba.txt')
      .attach('signature', signature, 'hoc-ba.p7s');
    expect(res.status).toBe(200);
    expect(res.body.indication).toBe('TOTAL_PASSED');
    const pem = openssl('cms', '-cmsout', '-inform', 'DER', '-in', tmp.write('m.p7s', signature), '-outform', 'PEM').toString();
    const asFields = await t.http().post('/api/v1/verify').field('document', DOCUMENT.toString('base64')).field('signature', pem);
    expect(asFields.status).toBe(200);
    expect(asFields.body.indication).toBe('TOTAL_PASSED');
  });
});
