import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLocked, lockDataDir, openDatabase } from '../../src/db/connect.js';
import { createLogger } from '../../src/log.js';
import { startKyso } from '../../src/server.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

let t: TestKyso;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kyso-devca-'));
const binary = (res: { on: (e: string, cb: (chunk?: Buffer) => void) => void }, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c) => chunks.push(c!));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

beforeAll(async () => {
  t = await startTestKyso();
});
afterAll(() => t?.close());

describe('development CA', () => {
  it('lists the root and issuing CA', async () => {
    const res = await t.http().get('/pki/ca');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      expect.objectContaining({ name: 'dev-root', subject: 'C=VN, O=Kyso Development, CN=Kyso Dev Root CA', serial: expect.stringMatching(/^[0-9a-f]+$/) }),
      expect.objectContaining({ name: 'dev-issuing', subject: 'C=VN, O=Kyso Development, CN=Kyso Dev Issuing CA' }),
    ]);
  });

  it('serves certificates that openssl verifies as a chain, with the right keys and extensions', async () => {
    const rootDer = await t.http().get('/pki/ca/dev-root.crt').buffer(true).parse(binary);
    expect(rootDer.headers['content-type']).toBe('application/pkix-cert');
    const issuingPem = await t.http().get('/pki/ca/dev-issuing.pem');
    expect(issuingPem.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
    writeFileSync(path.join(tmp, 'root.der'), rootDer.body as Buffer);
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', path.join(tmp, 'root.der'), '-out', path.join(tmp, 'root.pem')]);
    writeFileSync(path.join(tmp, 'issuing.pem'), issuingPem.text);
    const verified = execFileSync('openssl', ['verify', '-x509_strict', '-CAfile', path.join(tmp, 'root.pem'), path.join(tmp, 'issuing.pem')], { encoding: 'utf8' });
    expect(verified.trim()).toBe(`${path.join(tmp, 'issuing.pem')}: OK`);

    const rootText = execFileSync('openssl', ['x509', '-in', path.join(tmp, 'root.pem'), '-noout', '-text'], { encoding: 'utf8' });
    expect(rootText).toMatch(/NIST CURVE: P-384/);
    expect(rootText).toMatch(/CA:TRUE/);
    const issuingText = execFileSync('openssl', ['x509', '-in', path.join(tmp, 'issuing.pem'), '-noout', '-text'], { encoding: 'utf8' });
    expect(issuingText).toMatch(/NIST CURVE: P-256/);
    expect(issuingText).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);
    expect(issuingText).toMatch(/CA:TRUE, pathlen:0/);
    expect(issuingText).toMatch(/Certificate Sign, CRL Sign/);
    expect(issuingText).toContain(`URI:${t.config.publicUrl}/pki/crl/dev-root.crl`);
  });

  it('writes the certificates, never the keys, to certs-dev', () => {
    const dir = t.config.certsDevDir;
    const root = readFileSync(path.join(dir, 'dev-root.pem'), 'utf8');
    expect(root).toMatch(/BEGIN CERTIFICATE/);
    expect(readFileSync(path.join(dir, 'chain.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    for (const file of ['dev-root.pem', 'dev-issuing.pem', 'chain.pem']) {
      expect(readFileSync(path.join(dir, file), 'utf8')).not.toMatch(/PRIVATE KEY/);
    }
  });

  it('stores CA keys wrapped (or, with a PKCS#11 token, only references), with a 0600 development master key file', async () => {
    const rows = await t.kyso.services.knex('certificate_authorities').select('wrapped_key');
    for (const row of rows) {
      const wrapped = typeof row.wrapped_key === 'string' ? JSON.parse(row.wrapped_key) : row.wrapped_key;
      if (t.config.pkcs11) {
        expect(wrapped).toEqual({ v: 'pkcs11', token: t.config.pkcs11.label, id: expect.stringMatching(/^[0-9a-f]{32}$/) });
        continue;
      }
      expect(Object.keys(wrapped).sort()).toEqual(['ciphertext', 'iv', 'tag', 'v']);
      expect(Buffer.from(wrapped.ciphertext, 'base64').includes(Buffer.from([0x02, 0x01, 0x00, 0x30]))).toBe(false);
    }
    expect(statSync(path.join(t.dataDir, 'master.key')).mode & 0o777).toBe(0o600);
  });

  it('reuses the CA on a second start instead of making a new one', async () => {
    const before = (await t.http().get('/pki/ca')).body;
    const rowsBefore = await t.kyso.services.knex('certificate_authorities').orderBy('name').pluck('serial');
    await t.kyso.close();
    const again = await startKyso(t.config, createLogger('silent'));
    try {
      const after = await fetch(`${again.url}/pki/ca`).then((r) => r.json());
      expect(after).toEqual(before);
      // the same CA and service identities, none added
      expect(await again.services.knex('certificate_authorities').orderBy('name').pluck('serial')).toEqual(rowsBefore);
    } finally {
      await again.close();
    }
  });
});

describe('embedded data directory lock', () => {
  it('refuses a second holder and takes over a stale lock', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-lock-'));
    writeFileSync(path.join(dir, 'kyso.lock'), '999999'); // a pid that is not running
    const release = lockDataDir(dir);
    expect(readFileSync(path.join(dir, 'kyso.lock'), 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirLocked);
    release();
    lockDataDir(dir)();
  });

  it('refuses to open an embedded database another process holds', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-lock-'));
    writeFileSync(path.join(dir, 'kyso.lock'), String(process.ppid)); // our parent: alive
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/in use by another kyso process/);
  });
});
