import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { kysoSigner, opensslSign, recordCertificate, verifyJson, type TestSigner } from './fixtures.js';
import { addSignature, unsignedPdf } from './pdf-fixture.js';

let t: TestKyso;
let tmp: Scratch;
let ec: TestSigner;
let rsa: TestSigner;

beforeAll(async () => {
  t = await startTestKyso();
  tmp = scratch();
  const { organizationId } = await seedTenant(t, 'pdf');
  ec = await kysoSigner(t, tmp, 'Đặng Thị Hương');
  rsa = await kysoSigner(t, tmp, 'Bùi Quang Huy', { kind: 'rsa' });
  await recordCertificate(t, organizationId, ec.certDer);
  await recordCertificate(t, organizationId, rsa.certDer);
});
afterAll(async () => {
  tmp?.remove();
  await t?.close();
});

/** pdfsig's report on a PDF (poppler: an independent reader of the same structure). */
function pdfsig(pdf: Buffer): string {
  const file = tmp.write(`pdfsig-${createHash('sha1').update(pdf).digest('hex')}.pdf`, pdf);
  return execFileSync('pdfsig', [file], { encoding: 'utf8' });
}

describe('signed PDFs made outside kyso', () => {
  it('passes a PAdES signature (ETSI.CAdES.detached) over the ByteRange, which pdfsig also accepts', async () => {
    // /M in Vietnam's zone (UTC+7), as a local signing tool writes it
    const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
    const local = new Date(signedAt.getTime() + 7 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const pdf = addSignature(unsignedPdf(), (bytes) => opensslSign(tmp, ec, bytes, ['-noattr']), { signingTime: `D:${local}+07'00'` });
    const poppler = pdfsig(pdf);
    expect(poppler).toContain('Signature is Valid');
    expect(poppler).toContain('Total document signed');

    const res = await verifyJson(t, { document: pdf });
    expect(res.status).toBe(200);
    expect(res.body.indication, JSON.stringify(res.body)).toBe('TOTAL_PASSED');
    expect(res.body.signatures).toHaveLength(1);
    const [report] = res.body.signatures;
    expect(report).toMatchObject({ indication: 'TOTAL_PASSED', format: 'PAdES', certificateStatus: 'good' });
    expect(report.signer.serial).toBe(ec.serial);
    // /M, since a PAdES CMS carries no signingTime
    expect(report.signingTime).toBe(signedAt.toISOString());
    expect(report.chain).toHaveLength(3);
  });

  it('reports every signature of a PDF signed twice (adbe.pkcs7.detached, then an incremental update)', async () => {
    const once = addSignature(unsignedPdf(), (bytes) => opensslSign(tmp, ec, bytes), { subFilter: 'adbe.pkcs7.detached' });
    const twice = addSignature(once, (bytes) => opensslSign(tmp, rsa, bytes, ['-cades']));
    expect(pdfsig(twice)).toContain('Signature #2');

    const res = await verifyJson(t, { document: twice });
    expect(res.body.indication).toBe('TOTAL_PASSED');
    expect(res.body.signatures.map((s: { format: string; signer: { serial: string } }) => [s.format, s.signer.serial])).toEqual([
      ['PDF-PKCS7', ec.serial],
      ['PAdES', rsa.serial],
    ]);
    // Only a signature was added after the first: said as such, not as a warning (#11 item 7).
    expect(res.body.signatures[0]).toMatchObject({ coversWholeDocument: false, modifiedAfter: 'signatures' });
    expect(res.body.signatures[1]).toMatchObject({ coversWholeDocument: true, modifiedAfter: 'none' });
  });

  it('fails a PDF changed after signing with HASH_FAILURE', async () => {
    const pdf = addSignature(unsignedPdf(), (bytes) => opensslSign(tmp, ec, bytes));
    const tampered = Buffer.from(pdf);
    const at = tampered.indexOf('Hoc ba so');
    tampered.write('Hoc ba 10', at, 'latin1');
    const res = await verifyJson(t, { document: tampered });
    expect(res.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' });
  });

  it('verifies adbe.pkcs7.sha1 signatures but marks them CRYPTO_CONSTRAINTS_FAILURE', async () => {
    const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest();
    const pdf = addSignature(unsignedPdf(), (bytes) => opensslSign(tmp, rsa, sha1(bytes), ['-nodetach']), { subFilter: 'adbe.pkcs7.sha1' });
    const res = await verifyJson(t, { document: pdf });
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' });
    const wrongDigest = addSignature(unsignedPdf(), () => opensslSign(tmp, rsa, Buffer.alloc(20), ['-nodetach']), { subFilter: 'adbe.pkcs7.sha1' });
    const failed = await verifyJson(t, { document: wrongDigest });
    expect(failed.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' });
  });

  it('says TOTAL_FAILED/FORMAT_FAILURE for a PDF without signatures, or with a /Contents that is not CMS', async () => {
    const unsigned = await verifyJson(t, { document: unsignedPdf() });
    expect(unsigned.status).toBe(200);
    expect(unsigned.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE', signatures: [] });
    expect(unsigned.body.detail).toMatch(/no signature/);

    const junk = addSignature(unsignedPdf(), () => Buffer.from('3003020101', 'hex'));
    const res = await verifyJson(t, { document: junk });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(res.body.signatures).toHaveLength(1);
  });

  it('compares only the latest signed revisions: an earlier signature is not analysed, so INDETERMINATE, never passed unseen', async () => {
    let pdf = unsignedPdf();
    for (let i = 0; i < 18; i++) pdf = addSignature(pdf, (bytes) => opensslSign(tmp, ec, bytes));
    const res = await verifyJson(t, { document: pdf });
    expect(res.status).toBe(200);
    const reports = res.body.signatures;
    expect(reports).toHaveLength(18);
    // The last signature covers the file; the 16 before it are compared with it; the first is not.
    expect(reports[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE', coversWholeDocument: false });
    expect(reports[0].modifiedAfter).toBeUndefined();
    expect(reports[0].reasons.join()).toMatch(/not analysed/);
    for (const report of reports.slice(1, 17)) expect(report).toMatchObject({ indication: 'TOTAL_PASSED', modifiedAfter: 'signatures' });
    expect(reports[17]).toMatchObject({ indication: 'TOTAL_PASSED', modifiedAfter: 'none' });
  });

  it('accepts a PDF as a multipart file part', async () => {
    const pdf = addSignature(unsignedPdf(), (bytes) => opensslSign(tmp, ec, bytes));
    const res = await t.http().post('/api/v1/verify').attach('document', pdf, { filename: 'hoc-ba.pdf', contentType: 'application/pdf' });
    expect(res.status).toBe(200);
    expect(res.body.indication).toBe('TOTAL_PASSED');
  });
});
