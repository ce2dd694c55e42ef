import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { changeStatus, issueTestCertificate, openssl, opensslAll, testOrganization, writePem, type TestCertificate } from './fixture.js';

const binary = (res: { on: (e: string, f: (c: Buffer) => void) => void }, done: (e: Error | null, b: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

/** A serial as `openssl crl -text` prints it: uppercase, whole octets (a leading 0 nibble kept). */
const opensslSerial = (certificate: TestCertificate) =>
  (certificate.serial.length % 2 ? `0${certificate.serial}` : certificate.serial).toUpperCase();

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
    // A responder's certificate sits beside the CAs, but it issues nothing and has no CRL.
    const responder = t.kyso.services.authorities.all().find((a) => a.kind === 'ocsp')!;
    expect((await t.http().get(`/pki/crl/${responder.name}.crl`)).status).toBe(404);
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
    await changeStatus(t, leaf.revoked, 'revoke', 'keyCompromise');
    await changeStatus(t, leaf.suspended, 'suspend');
    await changeStatus(t, leaf.resumed, 'suspend');
    await changeStatus(t, leaf.resumed, 'resume');

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
    expect(after).toContain(`Serial Number: ${opensslSerial(leaf.revoked)}`);
    expect(after).toContain(`Serial Number: ${opensslSerial(leaf.suspended)}`);
    expect(after).not.toContain(`Serial Number: ${opensslSerial(leaf.resumed)}`);
    expect(after).not.toContain(`Serial Number: ${opensslSerial(leaf.good)}`);
    expect(after).toContain('Key Compromise');
    expect(after).toContain('Certificate Hold');
  });

  it('keeps the CRL number while nothing changes', async () => {
    const first = await fetchCrl('dev-issuing');
    const second = await fetchCrl('dev-issuing');
    expect(second.equals(first)).toBe(true);
  });

  it('answers GET requests with the base64 request in the path, with or without %-encoding', async () => {
    const reqFile = path.join(dir, 'get-req.der');
    await openssl(['ocsp', '-issuer', issuingPem, '-cert', leafPem.good!, '-no_nonce', '-reqout', reqFile]);
    const base64 = readFileSync(reqFile).toString('base64');
    for (const encoded of [encodeURIComponent(base64), base64.replace(/\+/g, '%2B'), base64.replace(/\//g, '%2F')]) {
      const res = await t.http().get(`/pki/ocsp/${encoded}`).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/ocsp-response');
      expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
      const respFile = path.join(dir, 'get-resp.der');
      writeFileSync(respFile, res.body as Buffer);
      const text = await opensslAll(['ocsp', '-reqin', reqFile, '-respin', respFile, '-issuer', issuingPem, '-cert', leafPem.good!, '-CAfile', rootPem]);
      expect(text).toContain('Response verify OK');
      expect(text).toMatch(/good\.pem: good/);
    }
  });

  it('counts the OCSP requests answered before Express in /metrics, under the routes Express gives them', async () => {
    const reqFile = path.join(dir, 'metrics-req.der');
    await openssl(['ocsp', '-issuer', issuingPem, '-cert', leafPem.good!, '-no_nonce', '-reqout', reqFile]);
    const request = readFileSync(reqFile);
    const counted = async () => {
      const text = (await t.http().get('/metrics')).text;
      const count = (series: string) => Number(new RegExp(`^kyso_http_requests_total\\{${series}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      return {
        get: count('method="GET",route="/pki/ocsp/\\*base64req",status="200"'),
        post: count('method="POST",route="/pki/ocsp",status="200"'),
        timed: /^kyso_http_request_duration_seconds_count\{method="GET",route="\/pki\/ocsp\/\*base64req"\} \d+$/m.test(text),
      };
    };
    const before = await counted();
    for (let i = 0; i < 3; i++) {
      expect((await t.http().get(`/pki/ocsp/${encodeURIComponent(request.toString('base64'))}`).buffer(true).parse(binary)).status).toBe(200);
    }
    const post = await t.http().post('/pki/ocsp').set('Content-Type', 'application/ocsp-request').send(request).buffer(true).parse(binary);
    expect(post.status).toBe(200);
    const after = await counted();
    expect(after.get - before.get).toBe(3);
    expect(after.post - before.post).toBe(1);
    expect(after.timed).toBe(true);
  });

  it('serves pre-produced GET answers with RFC 5019 caching headers, produced again when the status changes', async () => {
    const certificate = await issueTestCertificate(t, organizationId);
    const certPem = writePem(dir, 'pre-produced.pem', certificate.der);
    const reqFile = path.join(dir, 'pre-produced-req.der');
    await openssl(['ocsp', '-issuer', issuingPem, '-cert', certPem, '-no_nonce', '-reqout', reqFile]);
    const request = readFileSync(reqFile);
    const get = (headers: Record<string, string> = {}) =>
      t.http().get(`/pki/ocsp/${encodeURIComponent(request.toString('base64'))}`).set(headers).buffer(true).parse(binary);
    const verify = async (der: Buffer) => {
      const respFile = path.join(dir, 'pre-produced-resp.der');
      writeFileSync(respFile, der);
      return opensslAll(['ocsp', '-reqin', reqFile, '-respin', respFile, '-issuer', issuingPem, '-cert', certPem, '-CAfile', rootPem, '-resp_text']);
    };

    const first = await get();
    expect(first.status).toBe(200);
    const maxAge = Number(/^max-age=(\d+), public, no-transform, must-revalidate$/.exec(first.headers['cache-control'])![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(60);
    const lastModified = Date.parse(first.headers['last-modified']);
    const expires = Date.parse(first.headers.expires);
    expect(Math.abs(expires - Date.parse(first.headers.date) - maxAge * 1000)).toBeLessThanOrEqual(1000);
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const text = await verify(first.body as Buffer);
    expect(text).toContain('Response verify OK');
    expect(text).toMatch(/pre-produced\.pem: good/);
    // thisUpdate is what Last-Modified says.
    expect(Date.parse(/This Update: (.*)/.exec(text)![1]!)).toBe(lastModified);

    // Pre-produced: the same bytes again, for GET and for a nonce-less POST; a revalidation is a 304.
    const again = await get();
    expect((again.body as Buffer).equals(first.body as Buffer)).toBe(true);
    expect(again.headers.etag).toBe(first.headers.etag);
    const post = await t.http().post('/pki/ocsp').set('Content-Type', 'application/ocsp-request').send(request).buffer(true).parse(binary);
    expect((post.body as Buffer).equals(first.body as Buffer)).toBe(true);
    expect(post.headers['cache-control']).toBe('no-store');
    const notModified = await get({ 'If-None-Match': first.headers.etag });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe(first.headers.etag);
    // A nonce request is signed fresh, and never marked cacheable.
    const nonce = await opensslAll(['ocsp', '-issuer', issuingPem, '-cert', certPem, '-url', `${t.url}/pki/ocsp`, '-CAfile', rootPem]);
    expect(nonce).toContain('Response verify OK');
    expect(nonce).not.toContain('WARNING: no nonce in response');

    await changeStatus(t, certificate, 'revoke', 'keyCompromise');
    const revoked = await get({ 'If-None-Match': first.headers.etag });
    expect(revoked.status).toBe(200);
    expect(revoked.headers.etag).not.toBe(first.headers.etag);
    const revokedText = await verify(revoked.body as Buffer);
    expect(revokedText).toContain('Response verify OK');
    expect(revokedText).toMatch(/pre-produced\.pem: revoked/);
  });

  it('signs with a delegated responder certificate and answers SHA-256 CertIDs and several at once', async () => {
    const text = await ocsp('good', ['-sha256', '-cert', leafPem.revoked!, '-resp_text']);
    expect(text).toContain('Response verify OK');
    expect(text).toMatch(/good\.pem: good/);
    expect(text).toMatch(/revoked\.pem: revoked/);
    expect(text).toContain('Hash Algorithm: sha256');
    expect(text).toContain('Responder Id: ');
    expect(text).toContain('OCSP Signing');
    expect(text).toContain('OCSP No Check');
    expect(text).toContain('Kyso Dev Issuing CA OCSP Responder');
    expect(text).toMatch(/This Update: .*\n\s*Next Update: /);
    expect(text).not.toContain('Status times invalid');
  });

  it('answers unknown for a serial kyso never issued and for a CA it does not hold', async () => {
    const serial = await opensslAll(['ocsp', '-issuer', issuingPem, '-serial', '0x1234abcd', '-url', `${t.url}/pki/ocsp`, '-CAfile', rootPem]);
    expect(serial).toContain('Response verify OK');
    expect(serial).toMatch(/0x1234abcd: unknown/);
    const otherKey = path.join(dir, 'other.key');
    const otherCa = path.join(dir, 'other.pem');
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', otherKey, '-subj', '/CN=Other CA', '-days', '2', '-out', otherCa]);
    const other = await opensslAll(['ocsp', '-issuer', otherCa, '-serial', '0x01', '-url', `${t.url}/pki/ocsp`, '-noverify']);
    expect(other).toMatch(/0x01: unknown/);
  });

  it('answers malformed requests with malformedRequest, never a 5xx, and refuses oversized bodies', async () => {
    const malformed = Buffer.from('30030a0101', 'hex');
    const bodies: Array<[string, Buffer | string]> = [
      ['application/ocsp-request', Buffer.from('not DER at all')],
      ['application/ocsp-request', Buffer.from('3003020100', 'hex')],
      ['application/ocsp-request', Buffer.alloc(0)],
      ['application/json', '{"a":1}'],
    ];
    for (const [type, body] of bodies) {
      const res = await t.http().post('/pki/ocsp').set('Content-Type', type).send(body).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/ocsp-response');
      expect((res.body as Buffer).equals(malformed)).toBe(true);
    }
    for (const garbage of ['!!!', 'MAMCAQA%3D', '%E0%A4%A']) {
      const res = await t.http().get(`/pki/ocsp/${garbage}`).buffer(true).parse(binary);
      expect(res.status).toBeLessThan(500);
      if (res.status === 200) expect((res.body as Buffer).equals(malformed)).toBe(true);
    }
    const big = await t.http().post('/pki/ocsp').set('Content-Type', 'application/ocsp-request').send(Buffer.alloc(64 * 1024, 0x30));
    expect(big.status).toBe(413);
  });
});
