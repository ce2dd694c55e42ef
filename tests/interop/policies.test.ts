import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { readCertificate } from '../../src/pki/x509-reader.js';
import { issueTestCertificate, testOrganization } from '../revocation/fixture.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { tool } from './tools.js';

// Issue #13 items 13 and 15: policy OIDs with arcs ≥ 2^64 (2.25.<UUID>) broke GnuTLS and NSS, CA
// certificates without certificatePolicies failed explicit policy validation, and CA lifetimes were
// N × 365.25 days. Every certificate a fresh kyso issues is checked by the independent tools.
describe('certificates every validator can read, with policies explicit validation accepts', () => {
  let t: TestKyso;
  let tmp: Scratch;
  let files: Record<'root' | 'issuing' | 'leaf' | 'tsa' | 'responder' | 'chain', string>;
  let leafDer: Buffer;

  beforeAll(async () => {
    t = await startTestKyso();
    tmp = scratch();
    const { authorities } = t.kyso.services;
    const issuing = authorities.issuing();
    leafDer = (await issueTestCertificate(t, await testOrganization(t))).der;
    files = {
      root: tmp.pem('root.pem', [authorities.chain(issuing).at(-1)!.certificateDer]),
      issuing: tmp.pem('issuing.pem', [issuing.certificateDer]),
      leaf: tmp.pem('leaf.pem', [leafDer]),
      tsa: tmp.pem('tsa.pem', [t.kyso.services.tsa.certificate()]),
      responder: tmp.pem('responder.pem', [authorities.all().find((a) => a.kind === 'ocsp')!.certificateDer]),
      chain: tmp.pem('chain.pem', [leafDer, issuing.certificateDer, authorities.chain(issuing).at(-1)!.certificateDer]),
    };
  });
  afterAll(async () => {
    tmp?.remove();
    await t?.close();
  });

  it('GnuTLS certtool -i parses every certificate kyso issues; the end-entity policy has small arcs', async () => {
    for (const name of ['root', 'issuing', 'leaf', 'tsa', 'responder'] as const) {
      const res = await tool('certtool', ['-i', '--infile', files[name]]);
      expect(res.ok, `${name}: ${res.output}`).toBe(true);
      expect(res.output).not.toMatch(/error/i);
    }
    expect((await tool('certtool', ['-i', '--infile', files.leaf])).output).toContain('1.3.6.1.4.1.32473.1.1.1');
    expect((await tool('certtool', ['-i', '--infile', files.issuing])).output).toContain('2.5.29.32.0');
  });

  it('openssl verify -x509_strict -policy_check -explicit_policy accepts the chain', async () => {
    const res = await tool('openssl', ['verify', '-x509_strict', '-policy_check', '-explicit_policy', '-policy', '1.3.6.1.4.1.32473.1.1.1', '-CAfile', files.root, '-untrusted', files.issuing, files.leaf]);
    expect(res.output).toContain(': OK');
    expect(res.ok).toBe(true);
  });

  it('GnuTLS certtool --verify-chain and NSS vfychain -pp (and -o with the policy) accept the chain', async () => {
    const chain = await tool('certtool', ['--verify-chain', '--infile', files.chain]);
    expect(chain.output).toMatch(/Chain verification output: Verified/);
    expect(chain.output).not.toMatch(/Not verified/);
    const anchored = await tool('certtool', ['--verify', '--load-ca-certificate', files.root, '--infile', files.chain]);
    expect(anchored.output).toMatch(/Chain verification output: Verified/);
    const db = `sql:${tmp.dir}/nssdb`;
    await tool('mkdir', ['-p', `${tmp.dir}/nssdb`]);
    await tool('certutil', ['-N', '-d', db, '--empty-password']);
    expect((await tool('certutil', ['-A', '-d', db, '-n', 'root', '-t', 'CT,C,C', '-i', files.root])).ok).toBe(true);
    for (const extra of [[], ['-o', '1.3.6.1.4.1.32473.1.1.1']]) {
      const nss = await tool('vfychain', ['-d', db, '-pp', '-u', '4', ...extra, tmp.write('leaf.der', leafDer), tmp.write('issuing.der', t.kyso.services.authorities.issuing().certificateDer)], tmp.dir);
      expect(nss.output, extra.join(' ')).toMatch(/Chain is good!/);
    }
  });

  it('counts CA and TSA lifetimes in calendar years: notAfter keeps notBefore’s date and time', async () => {
    const years = (der: Buffer) => {
      const { notBefore, notAfter } = readCertificate(der);
      expect(notAfter.toISOString().slice(4)).toBe(notBefore.toISOString().slice(4));
      return notAfter.getUTCFullYear() - notBefore.getUTCFullYear();
    };
    const { authorities } = t.kyso.services;
    expect(years(authorities.chain(authorities.issuing()).at(-1)!.certificateDer)).toBe(20);
    expect(years(authorities.issuing().certificateDer)).toBe(10);
    expect(years(t.kyso.services.tsa.certificate())).toBe(5);
  });

  it('takes the policy arc from KYSO_POLICY_ARC, refusing arcs GnuTLS and NSS cannot read', () => {
    expect(loadConfig({ KYSO_POLICY_ARC: '1.3.6.1.4.1.4294967295.7' }).policyArc).toBe('1.3.6.1.4.1.4294967295.7');
    expect(loadConfig({}).policyArc).toBe('1.3.6.1.4.1.32473.1');
    expect(() => loadConfig({ KYSO_POLICY_ARC: '2.25.236629002269980522041485845041049424968' })).toThrow(ConfigError);
    expect(() => loadConfig({ KYSO_POLICY_ARC: '1.3.6.1.4.1.4294967296' })).toThrow(/below 2\^32/);
  });
});
