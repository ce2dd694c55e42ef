import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toArrayBuffer } from '../../src/pki/engine.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { changeStatus, issueTestCertificate, openssl, opensslAll, testOrganization, writePem, type TestCertificate } from './fixture.js';

const binary = (res: { on: (e: string, f: (c: Buffer) => void) => void }, done: (e: Error | null, b: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('CRL and OCSP over HTTP, checked by openssl', () => {
  let t: TestKyso;
  let dir: string;
  let rootPem: string;
  let issuingPem: string;
  let caBundle: string;
  let organizationId: string;
  const leaf: Record<'good' | 'revoked' | 'suspended' | 'resumed', TestCertificate> = {} as never;
  const leafPem: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestKyso();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-revocation-'));
    const { authorities } = t.kyso.services;
    rootPem = writePem(dir, 'root.pem', authorities.get('dev-root').certificateDer);
    issuingPem = writePem(dir, 'issuing.pem', authorities.issuing().certificateDer);
    caBundle = path.join(dir, 'bundle.pem');
    writeFileSync(caBundle, (await Promise.all([rootPem, issuingPem].map((f) => openssl(['x509', '-in', f])))).join(''));
    organizationId = await testOrganization(t);
    for (const name of ['good', 'revoked', 'suspended', 'resumed'] as const) {
      leaf[name] = await issueTestCertificate(t, organizationId);
      leafPem[name] = writePem(dir, `${name}.pem`, leaf[name].der);
    }
  });

  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fetchCrl = async (name: string) => {
    const res = await t.http().get(`/pki/crl/${name}.crl`).buffer(true).parse(binary);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pkix-crl');
    return res.body as Buffer;
  };
  const crlText = (der: Buffer) => {
    const file = path.join(dir, 'current.crl');
    writeFileSync(file, der);
    return opensslAll(['crl', '-inform', 'DER', '-in', file, '-CAfile', caBundle, '-noout', '-text']);
  };
  const ocsp = (name: string, extra: string[] = []) =>
    opensslAll(['ocsp', '-issuer', issuingPem, '-cert', leafPem[name]!, '-url', `${t.url}/pki/ocsp`, '-CAfile', rootPem, ...extra]);

  it('serves an empty, verifiable CRL for each CA, and 404 for an unknown one', async () => {
    for (const name of ['dev-root', 'dev-issuing']) {
      const text = await crlText(await fetchCrl(name));
      expect(text).toContain('verify OK');
      expect(text).toContain('No Revoked Certificates');
      expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*\d+/);
      expect(text).toContain('X509v3 Authority Key Identifier');
    }
    const missing = await t.http().get('/pki/crl/nope.crl');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
  });

  it('answers good for an active certificate, with and without nonce, over POST', async () => {
    const withNonce = await ocsp('good');
    expect(withNonce).toContain('Response verify OK');
    expect(withNonce).toMatch(/good\.pem: good/);
    const noNonce = await ocsp('good', ['-no_nonce']);
    expect(noNonce).toContain('Response verify OK');
    expect(noNonce).toMatch(/good\.pem: good/);
  });

  it('shows a revocation and a suspension at once in OCSP and in the CRL, and drops a resumed certificate', async () => {
    const before = await crlText(await fetchCrl('dev-issuing'));
    const numberBefore = Number(/CRL Number:\s*\n\s*(\d+)/.exec(before)![1]);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
    await changeStatus(t, leaf.revoked, { status: 'revoked', reason: 'keyCompromise', at });
    await changeStatus(t, leaf.suspended, { status: 'suspended', at });
    await changeStatus(t, leaf.resumed, { status: 'suspended', at });
    await changeStatus(t, leaf.resumed, { status: 'active', at: new Date(at.getTime() + 1000) });

    const revoked = await ocsp('revoked');
    expect(revoked).toContain('Response verify OK');
    expect(revoked).toMatch(/revoked\.pem: revoked/);
    expect(revoked).toContain('Reason: keyCompromise');
    const suspended = await ocsp('suspended', ['-no_nonce']);
    expect(suspended).toContain('Response verify OK');
    expect(suspended).toMatch(/suspended\.pem: revoked/);
    expect(suspended).toContain('Reason: certificateHold');
    expect(await ocsp('resumed')).toMatch(/resumed\.pem: good/);

    const after = await crlText(await fetchCrl('dev-issuing'));
    expect(after).toContain('verify OK');
    expect(Number(/CRL Number:\s*\n\s*(\d+)/.exec(after)![1])).toBeGreaterThan(numberBefore);
    expect(after).toContain(`Serial Number: ${leaf.revoked.serial.toUpperCase()}`);
    expect(after).toContain(`Serial Number: ${leaf.suspended.serial.toUpperCase()}`);
    expect(after).not.toContain(`Serial Number: ${leaf.resumed.serial.toUpperCase()}`);
    expect(after).not.toContain(`Serial Number: ${leaf.good.serial.toUpperCase()}`);
    expect(after).toContain('Key Compromise');
    expect(after).toContain('Certificate Hold');
  });

  it('keeps the CRL number while nothing changes', async () => {
    const first = await fetchCrl('dev-issuing');
    const second = await fetchCrl('dev-issuing');
    expect(second.equals(first)).toBe(true);
  });
});
