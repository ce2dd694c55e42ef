import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../../src/pki/certificate.js';
import {
  authorityKeyIdentifierValue,
  basicConstraintsValue,
  extKeyUsageValue,
  keyIdentifier,
  keyUsageValue,
  KeyUsageBit,
} from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { secureRandom } from '../../src/pki/serial.js';
import { TimeStamper } from '../../src/pki/tsp.js';
import { scratch } from '../support/scratch.js';
import { goldenPki } from './cms-fixtures.js';

// RFC 3161 tokens and rejections as openssl reads and verifies them, from a TSA certificate under
// the golden CA (no database, no server: the HTTP endpoint is tested in tests/tsa).
let tmp: ReturnType<typeof scratch>;
let stamper: TimeStamper;
let tsaDer: Buffer;

beforeAll(async () => {
  const pki = await goldenPki();
  const tsaName = encodeName([
    { type: OID.countryName, value: 'VN' },
    { type: OID.commonName, value: 'Golden Time-Stamping Authority' },
  ]);
  tsaDer = await buildCertificate(
    {
      serialNumber: Buffer.from('2001', 'hex'),
      issuer: encodeName([
        { type: OID.countryName, value: 'VN' },
        { type: OID.commonName, value: 'Golden Test CA' },
      ]),
      subject: tsaName,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2029-01-01T00:00:00Z'),
      subjectPublicKeyInfo: pki.p256Signer.publicKeyInfo,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(false) },
        { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.nonRepudiation]) },
        { oid: OID.extKeyUsage, critical: true, value: extKeyUsageValue([OID.kpTimeStamping]) },
        { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(keyIdentifier(pki.caSigner.publicKeyInfo)) },
      ],
    },
    pki.caSigner,
  );
  stamper = new TimeStamper({ signer: pki.p256Signer, chain: [tsaDer], subjectDer: tsaName }, () => new Date(), secureRandom);
  tmp = scratch();
  tmp.write('doc.txt', 'Biên bản họp hội đồng, 22/11/2026\n');
  tmp.pem('root.pem', [pki.caDer]);
  tmp.pem('tsa.pem', [tsaDer]);
});
afterAll(() => tmp.remove());

describe('TimeStamper', () => {
  for (const certReq of [true, false]) {
    it(`answers an openssl query (certReq ${certReq}) that openssl ts -reply and -verify accept`, async () => {
      const name = `q-${certReq}`;
      const query = tmp.run('openssl', ['ts', '-query', '-data', 'doc.txt', '-sha256', ...(certReq ? ['-cert'] : []), '-out', `${name}.tsq`]);
      expect(query.ok).toBe(true);
      tmp.write(`${name}.tsr`, await stamper.respond(readFileSync(path.join(tmp.dir, `${name}.tsq`))));
      const text = tmp.run('openssl', ['ts', '-reply', '-in', `${name}.tsr`, '-text']);
      expect(text.ok).toBe(true);
      expect(text.output).toContain('Status: Granted.');
      expect(text.output).toContain('Policy OID: 1.3.6.1.4.1.32473.1.2.1');
      expect(text.output).toMatch(/Nonce: 0x[0-9A-F]+/);
      // -queryfile also checks that the nonce and imprint echo the query.
      const verify = tmp.run('openssl', ['ts', '-verify', '-queryfile', `${name}.tsq`, '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'tsa.pem']);
      expect(verify.output).toContain('Verification: OK');
      const byData = tmp.run('openssl', ['ts', '-verify', '-data', 'doc.txt', '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'tsa.pem']);
      expect(byData.output).toContain('Verification: OK');
      tmp.write('other.txt', 'something else');
      const other = tmp.run('openssl', ['ts', '-verify', '-data', 'other.txt', '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'tsa.pem']);
      expect(other.ok).toBe(false);
      expect(other.output).toContain('message imprint mismatch');
    });
  }

  it('includes the certificates only when asked (RFC 3161 §2.4.1 certReq)', () => {
    expect(tmp.read('q-true.tsr').includes(tsaDer)).toBe(true);
    expect(tmp.read('q-false.tsr').includes(tsaDer)).toBe(false);
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
      tmp.write(`bad-${bad.reason}.tsr`, await stamper.respond(query));
      const text = tmp.run('openssl', ['ts', '-reply', '-in', `bad-${bad.reason}.tsr`, '-text']).output;
      expect(text).toContain('Status: Rejected.');
      expect(text.toLowerCase()).toContain(bad.says);
    });
  }
});
