import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { scratch, type Scratch } from '../support/scratch.js';
import { tool } from './tools.js';

// Issue #13 item 14: validators that check the TSA certificate (GnuTLS ocsptool, NSS ocspclnt) or
// the issuing CA (the root's responder) got `unknown`; the responders must know every certificate
// their CA issued.
describe('OCSP for kyso’s own certificates', () => {
  let t: TestKyso;
  let tmp: Scratch;
  let files: Record<'root' | 'issuing' | 'tsa' | 'responder', string>;

  beforeAll(async () => {
    t = await startTestKyso();
    tmp = scratch();
    const { authorities } = t.kyso.services;
    const issuing = authorities.issuing();
    const responder = authorities.all().find((a) => a.kind === 'ocsp' && a.parent === issuing)!;
    files = {
      root: tmp.pem('root.pem', [authorities.chain(issuing).at(-1)!.certificateDer]),
      issuing: tmp.pem('issuing.pem', [issuing.certificateDer]),
      tsa: tmp.pem('tsa.pem', [t.kyso.services.tsa.certificate()]),
      responder: tmp.pem('responder.pem', [responder.certificateDer]),
    };
  });
  afterAll(async () => {
    tmp?.remove();
    await t?.close();
  });

  it('GnuTLS ocsptool gets good for the TSA certificate', async () => {
    const res = await tool('ocsptool', [`--ask=${t.url}/pki/ocsp`, `--load-issuer=${files.issuing}`, `--load-cert=${files.tsa}`, `--load-trust=${files.issuing}`]);
    expect(res.output).toMatch(/Certificate Status: good/);
    expect(res.output).toMatch(/Verifying OCSP Response: Success/);
  });

  it('NSS ocspclnt accepts the TSA certificate through the OCSP URL in its AIA', async () => {
    const db = `sql:${tmp.dir}/nssdb`;
    await tool('mkdir', ['-p', `${tmp.dir}/nssdb`]);
    expect((await tool('certutil', ['-N', '-d', db, '--empty-password'])).ok).toBe(true);
    for (const [nickname, file, trust] of [['root', files.root, 'CT,C,C'], ['issuing', files.issuing, ',,'], ['tsa', files.tsa, ',,']] as const) {
      expect((await tool('certutil', ['-A', '-d', db, '-n', nickname, '-t', trust, '-i', file])).ok).toBe(true);
    }
    const res = await tool('ocspclnt', ['-S', 'tsa', '-d', db]);
    expect(res.output).toMatch(/Check of certificate "tsa" succeeded/);
  });

  it('openssl gets good for the TSA, the responder itself and (from the root’s responder) the issuing CA', async () => {
    for (const [issuer, cert] of [[files.issuing, files.tsa], [files.issuing, files.responder], [files.root, files.issuing]] as const) {
      const res = await tool('openssl', ['ocsp', '-issuer', issuer, '-cert', cert, '-url', `${t.url}/pki/ocsp`, '-CAfile', files.root]);
      expect(res.output).toContain('Response verify OK');
      expect(res.output).toMatch(/\.pem: good/);
    }
  });
});
