import { createPrivateKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFacts } from '../../src/pki/verify/certificate-facts.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { externalPki, insertTrustAnchor, kysoSigner, mutations, opensslSign, verifyJson } from './fixtures.js';
import { addSignature, unsignedPdf } from './pdf-fixture.js';
import { malformedRevocationData, signedCrl, withRevocationData } from './revocation-fixtures.js';

const DOCUMENT = Buffer.from('Bảng điểm học kỳ I\n', 'utf8');

let t: TestKyso;
let tmp: Scratch;
let cms: Buffer;
let pdf: Buffer;

beforeAll(async () => {
  t = await startTestKyso();
  tmp = scratch();
  const signer = await kysoSigner(t, tmp, 'Fuzz Signer');
  cms = opensslSign(tmp, signer, DOCUMENT, ['-nodetach']);
  pdf = addSignature(unsignedPdf(), (bytes) => opensslSign(tmp, signer, bytes));
});
afterAll(async () => {
  tmp?.remove();
  await t?.close();
});

describe('bad input', () => {
  it('is a 400 problem for a request without a document or signature, or with values that are not base64', async () => {
    for (const body of [{}, { document: '' }, { signature: '%%% not base64 %%%' }, { document: 42 }, { signature: ['x'] }]) {
      const res = await t.http().post('/api/v1/verify').send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const text = await t.http().post('/api/v1/verify').set('Content-Type', 'text/plain').send('hello');
    expect(text.status).toBe(400);
    const notJson = await t.http().post('/api/v1/verify').set('Content-Type', 'application/json').send('{"document":');
    expect(notJson.status).toBe(400);
  });

  it('is a 422 for a document alone that is neither a PDF nor a CMS', async () => {
    const res = await verifyJson(t, { document: Buffer.from('just some text') });
    expect(res.status).toBe(422);
  });

  it('answers TOTAL_FAILED/FORMAT_FAILURE for DER that is not a SignedData', async () => {
    for (const signature of [Buffer.from('300302010a', 'hex'), cms.subarray(0, cms.length / 2), Buffer.concat([Buffer.from([0x30, 0x82, 0xff]), randomBytes(64)])]) {
      const res = await verifyJson(t, { document: DOCUMENT, signature });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'FORMAT_FAILURE', signatures: [] });
    }
  });

  it('never answers 5xx to mutated CMS signatures or PDFs', async () => {
    let failed = 0;
    for (const signature of mutations(cms, 240)) {
      const res = await verifyJson(t, { signature });
      expect(res.status, signature.toString('base64')).toBeLessThan(500);
      if (res.body.indication === 'TOTAL_FAILED') failed++;
    }
    expect(failed).toBeGreaterThan(100);
    for (const document of mutations(pdf, 60)) {
      const res = await verifyJson(t, { document });
      expect(res.status, document.toString('base64').slice(0, 100)).toBeLessThan(500);
    }
  });

  it('finds malformed revocation data in a CMS unusable — an answer, not a 500 — and still reads good data beside it', async () => {
    // A PKI that publishes no CRL or OCSP: only the data carried in the signature can tell its status.
    const other = externalPki(tmp, 'Unsigned');
    await insertTrustAnchor(t, 'unsigned-revocation', other.root);
    const intermediate = certificateFacts(other.intermediate);
    const hourAgo = new Date(Date.now() - 3600_000);
    const bad = malformedRevocationData(intermediate.subjectDer, hourAgo);
    const signature = opensslSign(tmp, other.signer, DOCUMENT);

    const res = await verifyJson(t, { document: DOCUMENT, signature: withRevocationData(signature, bad) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    expect(res.body.signatures[0]).toMatchObject({ certificateStatus: 'unknown', revocationSource: 'none' });

    const key = createPrivateKey(tmp.read('Unsigned-int.key'));
    const crl = signedCrl(intermediate, key, hourAgo, new Date(Date.now() + 86400_000));
    const withGood = await verifyJson(t, { document: DOCUMENT, signature: withRevocationData(signature, { ...bad, crls: [...bad.crls, crl] }) });
    expect(withGood.status).toBe(200);
    expect(withGood.body).toMatchObject({ indication: 'TOTAL_PASSED' });
    expect(withGood.body.signatures[0]).toMatchObject({ certificateStatus: 'good', revocationSource: 'embedded' });
  });

  it('is a 413 for a part over 20 MB, JSON or multipart, and a 400 for an unknown part', async () => {
    const big = Buffer.alloc(21 * 1024 * 1024, 0x41);
    const multipart = await t.http().post('/api/v1/verify').attach('document', big, 'big.pdf');
    expect(multipart.status).toBe(413);
    const json = await t.http().post('/api/v1/verify').send({ document: big.toString('base64') });
    expect(json.status).toBe(413);
    const unknown = await t.http().post('/api/v1/verify').attach('attachment', DOCUMENT, 'x.txt');
    expect(unknown.status).toBe(400);
  });

  it('documents the operation, both body types, in the OpenAPI document', async () => {
    const res = await t.http().get('/api/v1/openapi.json');
    const operation = res.body.paths['/api/v1/verify'].post;
    expect(Object.keys(operation.requestBody.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    // Public: an explicit empty security requirement (issue #13 item 15).
    expect(operation.security).toEqual([]);
  });
});
