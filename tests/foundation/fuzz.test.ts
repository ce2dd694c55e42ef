import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derFromPemOrDer } from '../../src/pki/pem.js';
import { makeCsr, tokenRequest } from '../requests/support.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { kysoSigner, openssl, opensslSign } from '../verification/fixtures.js';
import { addSignature, unsignedPdf } from '../verification/pdf-fixture.js';

// Issue #13: byte-mutated CSRs, OCSP requests, TSA queries, CMS and PDFs against the HTTP routes
// never get a 5xx. Bounded and seeded: the same cases every run, a few hundred per route.
const CASES = 200;

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed and index. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One mutation of `input`: flipped bytes, a truncation, inserted or duplicated bytes, or a length byte set high. */
function mutate(input: Buffer, random: () => number): Buffer {
  const at = (n = input.length) => Math.floor(random() * n);
  const bytes = Buffer.from(input);
  switch (at(5)) {
    case 0:
      for (let i = 0, n = 1 + at(8); i < n; i++) bytes[at()] = at(256);
      return bytes;
    case 1:
      return bytes.subarray(0, at());
    case 2: {
      const where = at();
      return Buffer.concat([bytes.subarray(0, where), Buffer.from(Array.from({ length: 1 + at(16) }, () => at(256))), bytes.subarray(where)]);
    }
    case 3: {
      const from = at();
      const slice = bytes.subarray(from, from + 1 + at(64));
      const where = at();
      return Buffer.concat([bytes.subarray(0, where), slice, bytes.subarray(where)]);
    }
    default:
      // DER length octets: make one long-form or huge
      bytes[1 + at(Math.min(bytes.length - 1, 32))] = [0x80, 0x84, 0xff, 0x00][at(4)]!;
      return bytes;
  }
}

let t: TestKyso;
let tmp: Scratch;
let agency: string;
let organizationId: string;

beforeAll(async () => {
  t = await startTestKyso();
  tmp = scratch();
  const tenant = await seedTenant(t, 'fuzz');
  agency = tenant.tokens.agency;
  organizationId = tenant.organizationId;
});
afterAll(async () => {
  tmp?.remove();
  await t?.close();
});

const binary = (res: { on: (e: string, f: (c: Buffer) => void) => void }, done: (e: Error | null, b: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

/** Sends CASES mutations of `seed` through `send`; every answer must be below 500. */
async function fuzz(name: string, seedValue: number, seed: Buffer, send: (body: Buffer) => Promise<{ status: number }>): Promise<void> {
  const random = prng(seedValue);
  const failures: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const body = mutate(seed, random);
    const res = await send(body);
    if (res.status >= 500) failures.push(`${name} case ${i} (seed ${seedValue}): ${res.status} for ${body.toString('base64').slice(0, 120)}`);
  }
  expect(failures).toEqual([]);
}

describe('byte-mutated inputs never get a 5xx', () => {
  it('OCSP requests, POST and GET', async () => {
    const issuer = tmp.pem('issuer.pem', [t.kyso.services.authorities.issuing().certificateDer]);
    openssl('ocsp', '-issuer', issuer, '-serial', '0x1234abcd', '-reqout', tmp.file('req.der'));
    const request = tmp.read('req.der');
    await fuzz('POST /pki/ocsp', 1301, request, (body) =>
      t.http().post('/pki/ocsp').set('Content-Type', 'application/ocsp-request').send(body).buffer(true).parse(binary),
    );
    await fuzz('GET /pki/ocsp', 1302, request, (body) => t.http().get(`/pki/ocsp/${encodeURIComponent(body.toString('base64'))}`).buffer(true).parse(binary));
  });

  it('time-stamp queries', async () => {
    const query = openssl('ts', '-query', '-data', tmp.write('data.bin', 'fuzz'), '-sha256', '-cert');
    await fuzz('POST /pki/tsa', 1303, query, (body) =>
      t.http().post('/pki/tsa').set('Content-Type', 'application/timestamp-query').send(body).buffer(true).parse(binary),
    );
  });

  it('CSRs in certificate requests', async () => {
    const { pem } = await makeCsr();
    const der = derFromPemOrDer(Buffer.from(pem), ['CERTIFICATE REQUEST'])!;
    await fuzz('POST /api/v1/certificate-requests', 1304, der, (body) =>
      t
        .http()
        .post('/api/v1/certificate-requests')
        .set('Authorization', `Bearer ${agency}`)
        .send(tokenRequest(organizationId, `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`)),
    );
  });

  it('CMS signatures and signed PDFs at /api/v1/verify', async () => {
    const signer = await kysoSigner(t, tmp, 'Fuzz Signer');
    const document = Buffer.from('Biên bản họp phụ huynh\n');
    const cms = opensslSign(tmp, signer, document, ['-nodetach']);
    await fuzz('POST /api/v1/verify (CMS)', 1305, cms, (body) => t.http().post('/api/v1/verify').set('Content-Type', 'application/cms').send(body));
    const pdf = addSignature(unsignedPdf(), (bytes) => opensslSign(tmp, signer, bytes));
    await fuzz('POST /api/v1/verify (PDF)', 1306, pdf, (body) => t.http().post('/api/v1/verify').set('Content-Type', 'application/pdf').send(body));
  });
});
