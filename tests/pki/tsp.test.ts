import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch } from '../support/scratch.js';

let t: TestKyso;
let tmp: ReturnType<typeof scratch>;

const binary = (res: { on: (e: string, cb: (chunk?: Buffer) => void) => void }, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk) => chunks.push(chunk!));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

async function stamp(query: Buffer): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await t.http().post('/pki/tsa').set('Content-Type', 'application/timestamp-query').send(query).buffer(true).parse(binary);
  return { status: res.status, type: res.headers['content-type'] ?? '', body: res.body as Buffer };
}

beforeAll(async () => {
  t = await startTestKyso();
  tmp = scratch();
  tmp.write('doc.txt', 'Biên bản họp hội đồng, 22/11/2026\n');
  tmp.write('root.pem', readFileSync(path.join(t.dataDir, 'certs-dev', 'dev-root.pem')));
  tmp.write('issuing.pem', readFileSync(path.join(t.dataDir, 'certs-dev', 'dev-issuing.pem')));
  const res = await t.http().get('/pki/tsa.pem');
  expect(res.status).toBe(200);
  tmp.write('tsa.pem', res.text);
  tmp.write('untrusted.pem', `${res.text}${readFileSync(path.join(t.dataDir, 'certs-dev', 'dev-issuing.pem'), 'utf8')}`);
});
afterAll(async () => {
  tmp.remove();
  await t.close();
});

describe('TSA certificate', () => {
  it('is issued by the issuing CA with a critical id-kp-timeStamping extendedKeyUsage', () => {
    const text = tmp.run('openssl', ['x509', '-in', 'tsa.pem', '-noout', '-text']).output;
    expect(text).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping\s/);
    expect(tmp.run('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', '-purpose', 'timestampsign', 'tsa.pem']).ok).toBe(true);
  });
});

describe('POST /pki/tsa', () => {
  for (const certReq of [true, false]) {
    it(`answers an openssl query (certReq ${certReq}) that openssl ts -reply and -verify accept`, async () => {
      const name = `q-${certReq}`;
      const query = tmp.run('openssl', ['ts', '-query', '-data', 'doc.txt', '-sha256', ...(certReq ? ['-cert'] : []), '-out', `${name}.tsq`]);
      expect(query.ok).toBe(true);
      const res = await stamp(readFileSync(path.join(tmp.dir, `${name}.tsq`)));
      expect(res.status).toBe(200);
      expect(res.type).toContain('application/timestamp-reply');
      tmp.write(`${name}.tsr`, res.body);
      const text = tmp.run('openssl', ['ts', '-reply', '-in', `${name}.tsr`, '-text']);
      expect(text.ok).toBe(true);
      expect(text.output).toContain('Status: Granted.');
      expect(text.output).toContain('Policy OID: 2.25.47460827957128359541552096843508278311');
      expect(text.output).toMatch(/Nonce: 0x[0-9A-F]+/);
      // -queryfile also checks that the nonce and imprint echo the query.
      const verify = tmp.run('openssl', ['ts', '-verify', '-queryfile', `${name}.tsq`, '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem']);
      expect(verify.output).toContain('Verification: OK');
      const byData = tmp.run('openssl', ['ts', '-verify', '-data', 'doc.txt', '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem']);
      expect(byData.output).toContain('Verification: OK');
      tmp.write('other.txt', 'something else');
      const other = tmp.run('openssl', ['ts', '-verify', '-data', 'other.txt', '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem']);
      expect(other.ok).toBe(false);
      expect(other.output).toContain('message imprint mismatch');
    });
  }

  it('includes the certificates only when asked (RFC 3161 §2.4.1 certReq)', async () => {
    const withCerts = readFileSync(path.join(tmp.dir, 'q-true.tsr'));
    const withoutCerts = readFileSync(path.join(tmp.dir, 'q-false.tsr'));
    const tsaDer = (await t.http().get('/pki/tsa.crt').buffer(true).parse(binary)).body as Buffer;
    expect(withCerts.includes(tsaDer)).toBe(true);
    expect(withoutCerts.includes(tsaDer)).toBe(false);
  });

  for (const bad of [
    { name: 'garbage', query: Buffer.from('not a time-stamp query'), reason: 'badDataFormat', says: 'the data submitted has the wrong format' },
    { name: 'SHA-1 imprint', args: ['-sha1'], reason: 'badAlg', says: 'unrecognized or unsupported algorithm identifier' },
    { name: 'unknown policy', args: ['-sha256', '-tspolicy', '1.2.3.4'], reason: 'unacceptedPolicy', says: 'the requested tsa policy is not supported by the tsa' },
  ]) {
    it(`rejects ${bad.name} with a rejection TimeStampResp (${bad.reason})`, async () => {
      let query = bad.query;
      if (!query) {
        const file = `bad-${bad.reason}.tsq`;
        expect(tmp.run('openssl', ['ts', '-query', '-data', 'doc.txt', ...bad.args!, '-out', file]).ok).toBe(true);
        query = readFileSync(path.join(tmp.dir, file));
      }
      const res = await stamp(query);
      expect(res.status).toBe(200);
      tmp.write(`bad-${bad.reason}.tsr`, res.body);
      const text = tmp.run('openssl', ['ts', '-reply', '-in', `bad-${bad.reason}.tsr`, '-text']).output;
      expect(text).toContain('Status: Rejected.');
      expect(text.toLowerCase()).toContain(bad.says);
    });
  }

  it('refuses a body that is not application/timestamp-query with a 400 problem', async () => {
    const res = await t.http().post('/pki/tsa').set('Content-Type', 'application/json').send({ hello: 'world' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses an oversized query with a 413', async () => {
    const res = await t.http().post('/pki/tsa').set('Content-Type', 'application/timestamp-query').send(Buffer.alloc(64 * 1024, 1));
    expect(res.status).toBe(413);
  });
});
