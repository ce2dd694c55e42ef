import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conflict } from '../../src/errors.js';
import { isTokenRef, type StoredKey } from '../../src/keys/vault.js';
import { softHsmInstalled, softHsmToken, tokenPrivateKeyLabels, type TestToken } from '../support/softhsm.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { binary } from '../signing/support.js';
import { issueTestCertificate, openssl, opensslAll, testOrganization, writePem } from '../revocation/fixture.js';

// kyso with KYSO_PKCS11_*: every CA and service key is generated in the token and signs there; the
// database holds references only. openssl checks what those keys signed.
describe.skipIf(!softHsmInstalled)('kyso with its CA and service keys in SoftHSM', () => {
  let t: TestKyso;
  let token: TestToken;
  let dir: string;

  beforeAll(async () => {
    token = softHsmToken();
    t = await startTestKyso({ env: token.env });
    dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-hsm-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps no private key in the database: each CA, OCSP responder and TSA key is in the token', async () => {
    const rows: Array<{ name: string; kind: string; wrapped_key: StoredKey | string }> = await t.kyso.services
      .knex('certificate_authorities')
      .select('name', 'kind', 'wrapped_key');
    const kinds = new Set(rows.map((r) => r.kind));
    for (const kind of ['root', 'issuing', 'ocsp', 'tsa']) expect(kinds).toContain(kind);
    const labels = tokenPrivateKeyLabels(token);
    for (const row of rows) {
      const stored: StoredKey = typeof row.wrapped_key === 'string' ? JSON.parse(row.wrapped_key) : row.wrapped_key;
      expect(isTokenRef(stored), `${row.name} is a token reference`).toBe(true);
      expect(JSON.stringify(stored)).not.toMatch(/ciphertext/);
      expect(labels).toContain(`kyso ca:${row.name}`);
    }
  });

  it('leaves no key in the token for a CA request whose transaction failed', async () => {
    const system = { principal: null, ip: null };
    const name = `race-${process.pid}`;
    const input = { name, commonName: 'Kyso Race CA', organization: 'Kyso', country: 'VN' };
    // Two operators at once: both pass the name check, both make a key, one insert loses.
    const results = await Promise.allSettled([t.kyso.services.caOperations.exportCsr(system, input), t.kyso.services.caOperations.exportCsr(system, input)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')!.reason).toBeInstanceOf(Conflict);
    expect(tokenPrivateKeyLabels(token).filter((label) => label === `kyso ca:${name}`)).toHaveLength(1);
    expect(tokenPrivateKeyLabels(token)).not.toContain('kyso (unassigned)');
  });

  it('issues, answers OCSP, publishes a CRL and time-stamps with token keys, as openssl verifies', async () => {
    const leaf = await issueTestCertificate(t, await testOrganization(t));
    const [root, issuing] = ['dev-root', 'dev-issuing'].map((name) => t.kyso.services.authorities.get(name).certificateDer);
    const rootPem = writePem(dir, 'root.pem', root!);
    const issuingPem = writePem(dir, 'issuing.pem', issuing!);
    const leafPem = writePem(dir, 'leaf.pem', leaf.der);
    expect(await opensslAll(['verify', '-CAfile', rootPem, '-untrusted', issuingPem, leafPem])).toContain('leaf.pem: OK');

    const ocsp = await opensslAll(['ocsp', '-issuer', issuingPem, '-cert', leafPem, '-url', `${t.url}/pki/ocsp`, '-CAfile', rootPem]);
    expect(ocsp).toContain('Response verify OK');
    expect(ocsp).toContain(': good');

    const crl = await t.http().get('/pki/crl/dev-issuing.crl').buffer(true).parse(binary);
    expect(crl.status).toBe(200);
    const crlFile = path.join(dir, 'issuing.crl');
    writeFileSync(crlFile, crl.body as Buffer);
    expect(await opensslAll(['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', issuingPem, '-noout'])).toContain('verify OK');

    const data = path.join(dir, 'data.txt');
    writeFileSync(data, 'biên bản họp');
    const query = path.join(dir, 'q.tsq');
    await openssl(['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query]);
    const reply = await t.http().post('/pki/tsa').set('Content-Type', 'application/timestamp-query').send(readFileSync(query)).buffer(true).parse(binary);
    expect(reply.status).toBe(200);
    const replyFile = path.join(dir, 'r.tsr');
    writeFileSync(replyFile, reply.body as Buffer);
    const chain = path.join(dir, 'chain.pem');
    writeFileSync(chain, (await openssl(['x509', '-in', rootPem])) + (await openssl(['x509', '-in', issuingPem])));
    expect(await opensslAll(['ts', '-verify', '-data', data, '-in', replyFile, '-CAfile', chain])).toContain('Verification: OK');
  });
});
