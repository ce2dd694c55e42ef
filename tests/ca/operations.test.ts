import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/audit.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { fixedClock } from '../../src/clock.js';
import { Conflict, Refused } from '../../src/errors.js';
import { toPem } from '../../src/pki/pem.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { binary } from '../signing/support.js';
import { changeStatus, issueTestCertificate, openssl, opensslAll, testOrganization, writePem, type TestCertificate } from '../revocation/fixture.js';
import { cliEnv, kyso } from '../cli/support.js';

const system = { principal: null, ip: null };
const YEAR = 365 * 24 * 3600 * 1000;

/** The issuer CA row id a stored certificate points to. */
async function issuerOf(t: TestKyso, certificate: TestCertificate): Promise<string> {
  return (await t.kyso.services.knex('certificates').where({ serial: certificate.serial }).first('issuer_ca_id')).issuer_ca_id;
}

async function crlText(t: TestKyso, dir: string, caName: string, caPem: string): Promise<string> {
  const res = await t.http().get(`/pki/crl/${caName}.crl`).buffer(true).parse(binary);
  expect(res.status).toBe(200);
  const file = path.join(dir, `${caName}.crl`);
  writeFileSync(file, res.body as Buffer);
  return opensslAll(['crl', '-inform', 'DER', '-in', file, '-CAfile', caPem, '-noout', '-text']);
}

const opensslSerial = (c: TestCertificate) => (c.serial.length % 2 ? `0${c.serial}` : c.serial).toUpperCase();

describe('CA rollover', () => {
  let t: TestKyso;
  let dir: string;
  const clock = fixedClock(new Date());

  beforeAll(async () => {
    t = await startTestKyso({ clock });
    dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-rollover-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues under the new CA at once; both generations validate; the old CA keeps CRL and OCSP for its own', async () => {
    const { services } = t.kyso;
    const organizationId = await testOrganization(t);
    const old = await issueTestCertificate(t, organizationId);
    const previous = services.authorities.issuing();

    const next = await services.caOperations.rollover(system);
    expect(next.name).toBe('dev-issuing-g2');
    expect(next.row.subject_dn).toContain('CN=Kyso Dev Issuing CA G2');
    expect(services.authorities.issuing().name).toBe('dev-issuing-g2');
    const fresh = await issueTestCertificate(t, organizationId);
    expect(await issuerOf(t, fresh)).toBe(next.row.id);
    expect(await issuerOf(t, old)).toBe(previous.row.id);
    await expect(services.caOperations.rollover(system, { name: 'dev-issuing-g2' })).rejects.toBeInstanceOf(Conflict);

    const listed = (await t.http().get('/pki/ca')).body.map((c: { name: string }) => c.name);
    expect(listed).toEqual(expect.arrayContaining(['dev-root', 'dev-issuing', 'dev-issuing-g2']));

    const root = writePem(dir, 'root.pem', services.authorities.get('dev-root').certificateDer);
    const oldCa = writePem(dir, 'old-ca.pem', previous.certificateDer);
    const newCa = writePem(dir, 'new-ca.pem', next.certificateDer);
    const both = path.join(dir, 'both.pem');
    writeFileSync(both, readFileSync(oldCa, 'utf8') + readFileSync(newCa, 'utf8'));
    const oldLeaf = writePem(dir, 'old.pem', old.der);
    const newLeaf = writePem(dir, 'new.pem', fresh.der);
    // Now, and a year on (openssl -attime): nothing issued stops validating.
    for (const at of [clock.now().getTime(), clock.now().getTime() + YEAR]) {
      const out = await opensslAll(['verify', '-attime', String(Math.floor(at / 1000)), '-CAfile', root, '-untrusted', both, oldLeaf, newLeaf]);
      expect(out).toContain('old.pem: OK');
      expect(out).toContain('new.pem: OK');
    }

    await changeStatus(t, old, 'revoke', 'keyCompromise');
    expect(await crlText(t, dir, 'dev-issuing', oldCa)).toContain(`Serial Number: ${opensslSerial(old)}`);
    const newCrl = await crlText(t, dir, 'dev-issuing-g2', newCa);
    expect(newCrl).toContain('verify OK');
    expect(newCrl).not.toContain(opensslSerial(old));

    const ocsp = (cert: string, issuer: string) => opensslAll(['ocsp', '-issuer', issuer, '-cert', cert, '-url', `${t.url}/pki/ocsp`, '-CAfile', root, '-no_nonce']);
    const oldAnswer = await ocsp(oldLeaf, oldCa);
    expect(oldAnswer).toContain('Response verify OK');
    expect(oldAnswer).toContain(': revoked');
    const newAnswer = await ocsp(newLeaf, newCa);
    expect(newAnswer).toContain('Response verify OK');
    expect(newAnswer).toContain(': good');

    // 40 days on, past its responder certificate's 30 days, the old CA still answers OCSP.
    clock.advance(40 * 24 * 3600 * 1000);
    const requestFile = path.join(dir, 'later.req');
    await openssl(['ocsp', '-issuer', oldCa, '-cert', oldLeaf, '-reqout', requestFile, '-no_nonce']);
    const answer = await services.revocation.ocsp.respond(readFileSync(requestFile));
    const text = await opensslAll(['ocsp', '-respin', writeDer(dir, 'later.ocsp', answer.der), '-resp_text', '-noverify']);
    expect(text).toContain('Cert Status: revoked');
  });

  it.skipIf(!process.env.DATABASE_URL)('issues under a CA the CLI rolled over while the server runs (PostgreSQL)', { timeout: 300_000 }, async () => {
    const run = await kyso(['ca', 'rollover'], cliEnv(t.config));
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^dev-issuing-g3 issuing now: .*CN=Kyso Dev Issuing CA G3.*; dev-issuing-g2 keeps answering CRL and OCSP/);
    clock.advance(2100); // the server looks for new CAs every 2 s of its clock
    const issued = await issueTestCertificate(t, await testOrganization(t));
    expect(await issuerOf(t, issued)).toBe(t.kyso.services.authorities.get('dev-issuing-g3').row.id);
  });
});

function writeDer(dir: string, name: string, der: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, der);
  return file;
}

describe('an issuing CA under an external root (openssl-made)', () => {
  let t: TestKyso;
  let dir: string;
  const clock = fixedClock(new Date());

  beforeAll(async () => {
    t = await startTestKyso({ clock });
    dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-subca-'));
    for (const name of ['root', 'stranger']) {
      await openssl([
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`),
        '-subj', `/C=VN/O=National Test PKI/CN=National ${name} CA`, '-days', '3650', '-utf8',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]);
    }
    writeFileSync(path.join(dir, 'ext.cnf'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    const admin = await t.adminToken();
    const anchor = await t.http().post('/api/v1/trust-anchors').set('Authorization', `Bearer ${admin}`).send({ name: 'National root', pem: readFileSync(path.join(dir, 'root.pem'), 'utf8') });
    expect(anchor.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The injected clock then catches up with the wall clock, so what openssl just signed is valid.
  const sign = (signer: string, out: string) =>
    openssl(['x509', '-req', '-in', path.join(dir, 'csr.pem'), '-CA', path.join(dir, `${signer}.pem`), '-CAkey', path.join(dir, `${signer}.key`), '-set_serial', String(Date.now()), '-days', '3650', '-extfile', path.join(dir, 'ext.cnf'), '-out', path.join(dir, out)]).then(() => clock.set(new Date()));

  it('writes a CSR, refuses a certificate that is not for its key or not from a trust anchor, then issues under the imported CA', async () => {
    const { services } = t.kyso;
    const csr = await services.caOperations.exportCsr(system, { name: 'hanoi-issuing', commonName: 'Kyso Hà Nội Issuing CA', organization: 'Sở Thông tin Hà Nội', country: 'VN' });
    writeFileSync(path.join(dir, 'csr.pem'), toPem(csr, 'CERTIFICATE REQUEST'));
    expect(await opensslAll(['req', '-in', path.join(dir, 'csr.pem'), '-verify', '-noout'])).toMatch(/verify OK|Certificate request self-signature verify OK/);
    await expect(services.caOperations.exportCsr(system, { name: 'hanoi-issuing', commonName: 'x', organization: 'y', country: 'VN' })).rejects.toBeInstanceOf(Conflict);

    await sign('stranger', 'from-stranger.pem');
    await expect(services.caOperations.importCertificate(system, readFileSync(path.join(dir, 'from-stranger.pem')))).rejects.toThrow(/does not chain to a configured trust anchor/);
    await expect(services.caOperations.importCertificate(system, readFileSync(path.join(dir, 'root.pem')))).rejects.toBeInstanceOf(Refused);

    await sign('root', 'sub.pem');
    const before = services.authorities.issuing().name;
    const installed = await services.caOperations.importCertificate(system, readFileSync(path.join(dir, 'sub.pem')));
    expect(before).toBe('dev-issuing');
    expect(services.authorities.issuing().name).toBe('hanoi-issuing');
    expect(services.authorities.chain(installed).map((a) => a.name)).toEqual(['hanoi-issuing', 'external-national-root-ca']);
    expect(services.authorities.get('external-national-root-ca').hasKey).toBe(false);

    const leaf = await issueTestCertificate(t, await testOrganization(t));
    const leafPem = writePem(dir, 'leaf.pem', leaf.der);
    const root = path.join(dir, 'root.pem');
    const sub = path.join(dir, 'sub.pem');
    expect(await opensslAll(['verify', '-CAfile', root, '-untrusted', sub, leafPem])).toContain('leaf.pem: OK');
    // the chain kyso publishes reaches the external root
    const admin = await t.adminToken();
    const chain = await t.http().get(`/api/v1/certificates/${leaf.serial}/chain`).set('Authorization', `Bearer ${admin}`);
    expect(chain.status).toBe(200);
    expect((chain.text.match(/BEGIN CERTIFICATE/g) ?? []).length).toBe(3);
    const chainFile = path.join(dir, 'chain.pem');
    writeFileSync(chainFile, chain.text);
    expect(await opensslAll(['verify', '-CAfile', root, '-untrusted', chainFile, leafPem])).toContain('leaf.pem: OK');
    const listed = (await t.http().get('/pki/ca')).body.map((c: { name: string }) => c.name);
    expect(listed).toEqual(expect.arrayContaining(['external-national-root-ca', 'hanoi-issuing']));

    const ocsp = await opensslAll(['ocsp', '-issuer', sub, '-cert', leafPem, '-url', `${t.url}/pki/ocsp`, '-CAfile', root]);
    expect(ocsp).toContain('Response verify OK');
    expect(ocsp).toContain(': good');
    expect(await crlText(t, dir, 'hanoi-issuing', sub)).toContain('verify OK');
    const externalCrl = await t.http().get('/pki/crl/external-national-root-ca.crl');
    expect(externalCrl.status).toBe(404);
    expect(externalCrl.headers['content-type']).toMatch(/problem\+json/);
    await expect(services.caOperations.importCertificate(system, readFileSync(sub))).rejects.toThrow(/installed already/);
    await expect(services.caOperations.rollover(system)).rejects.toThrow(/export-csr/);
  });

  // Two runs of the real binary, each starting node and tsx: as tests/cli, a loaded machine needs minutes.
  it.skipIf(!process.env.DATABASE_URL)('shows the CAs and refuses a rollover under an external root through the CLI (PostgreSQL)', { timeout: 300_000 }, async () => {
    await t.kyso.services.caOperations.exportCsr(system, { name: 'unused-request', commonName: 'Unused', organization: 'Kyso', country: 'VN' });
    const env = cliEnv(t.config);
    const status = await kyso(['ca', 'status'], env);
    expect(status.stdout).toMatch(/^hanoi-issuing \(issuing\) \[issuing now\]/m);
    expect(status.stdout).toMatch(/^external-national-root-ca \(root\).*key: no key \(external CA\)/m);
    const refused = await kyso(['ca', 'rollover'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kyso: the issuing CA hanoi-issuing is under the external CA external-national-root-ca/);
  });

  // The audit key's certificate came from kyso's root; once kyso issues under an external root, whose
  // key it never holds, the renewal is issued by kyso's own issuing CA. Before: the renewal threw
  // ("external CA"), and on the embedded database the sequencer's pass waited for ever for the
  // connection its own transaction held.
  it('renews the audit-checkpoint key under the imported issuing CA, and the chain still verifies', async () => {
    const { services } = t.kyso;
    const before = services.authorities.all().find((a) => a.kind === 'audit')!;
    clock.set(new Date(before.row.not_after.getTime() - 30 * 24 * 3600 * 1000));
    await services.knex.transaction((trx) => recordAudit(trx, clock, system, { action: 'test.after-renewal' }));
    await services.auditSequencer.drain();

    const renewed = services.authorities.all().filter((a) => a.kind === 'audit' && a.row.id !== before.row.id);
    expect(renewed).toHaveLength(1);
    expect(renewed[0]!.parent?.name).toBe('hanoi-issuing');
    const [checkpoint] = await services.knex('audit_checkpoints').orderBy('seq', 'desc').limit(1);
    expect(checkpoint.ca_id).toBe(renewed[0]!.row.id);
    const audit = writePem(dir, 'audit.pem', renewed[0]!.certificateDer);
    const untrusted = path.join(dir, 'sub.pem');
    expect(await opensslAll(['verify', '-attime', String(Math.floor(clock.now().getTime() / 1000)), '-CAfile', path.join(dir, 'root.pem'), '-untrusted', untrusted, audit])).toContain('audit.pem: OK');
    const verified = await verifyAuditChain(services.knex, services.authorities);
    expect(verified).toMatchObject({ ok: true, pending: 0 });
    expect(verified.checkpoints).toBeGreaterThan(1);
  });
});
