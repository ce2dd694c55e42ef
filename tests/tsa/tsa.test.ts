import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch } from '../support/scratch.js';

let t: TestKyso;
let tmp: ReturnType<typeof scratch>;
const clock = fixedClock(new Date());

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
  t = await startTestKyso({ clock });
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

// The tokens and rejections themselves are tested without a server in tests/pki/tsp.test.ts.
describe('POST /pki/tsa', () => {
  it('answers an openssl query with a token that openssl verifies up to the development root', async () => {
    expect(tmp.run('openssl', ['ts', '-query', '-data', 'doc.txt', '-sha256', '-cert', '-out', 'q.tsq']).ok).toBe(true);
    const res = await stamp(readFileSync(path.join(tmp.dir, 'q.tsq')));
    expect(res.status).toBe(200);
    expect(res.type).toContain('application/timestamp-reply');
    tmp.write('q.tsr', res.body);
    const verify = tmp.run('openssl', ['ts', '-verify', '-queryfile', 'q.tsq', '-in', 'q.tsr', '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem']);
    expect(verify.output).toContain('Verification: OK');
    const tsaDer = (await t.http().get('/pki/tsa.crt').buffer(true).parse(binary)).body as Buffer;
    expect(res.body.includes(tsaDer)).toBe(true);
  });

  it('answers garbage with a rejection TimeStampResp (200, badDataFormat)', async () => {
    const res = await stamp(Buffer.from('not a time-stamp query'));
    expect(res.status).toBe(200);
    tmp.write('bad.tsr', res.body);
    const text = tmp.run('openssl', ['ts', '-reply', '-in', 'bad.tsr', '-text']).output;
    expect(text).toContain('Status: Rejected.');
    expect(text.toLowerCase()).toContain('the data submitted has the wrong format');
  });

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

// Run last: it moves the clock years ahead. Before, the certificate was issued at start-up only, so a
// server running past its end stamped with an expired certificate.
describe('TSA certificate renewal', () => {
  it('renews the certificate on first use once it nears its end, and stamps with the new one', async () => {
    const old = (await t.http().get('/pki/tsa.crt').buffer(true).parse(binary)).body as Buffer;
    const ends = t.kyso.services.authorities.all().find((a) => a.kind === 'tsa')!.row.not_after;
    clock.set(new Date(ends.getTime() - 30 * 24 * 3600 * 1000));
    expect(tmp.run('openssl', ['ts', '-query', '-data', 'doc.txt', '-sha256', '-cert', '-out', 'late.tsq']).ok).toBe(true);
    const res = await stamp(readFileSync(path.join(tmp.dir, 'late.tsq')));
    expect(res.status).toBe(200);
    const renewed = (await t.http().get('/pki/tsa.crt').buffer(true).parse(binary)).body as Buffer;
    expect(renewed.equals(old)).toBe(false);
    expect(res.body.includes(renewed)).toBe(true);
    expect(t.kyso.services.authorities.all().filter((a) => a.kind === 'tsa')).toHaveLength(2);
  });
});
