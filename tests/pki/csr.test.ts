import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkCsr, encodeCsr } from '../../src/pki/csr.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import { BadRequest, Refused } from '../../src/errors.js';
import { openssl } from '../requests/support.js';

const subject = encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.commonName, value: 'Nguyễn Văn A' }]);

describe('checkCsr', () => {
  it('reads an openssl CSR in PEM and DER and returns its key', async () => {
    const pem = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', { file: 'k.pem', content: '' }, '-subj', '/CN=x']);
    const fromPem = await checkCsr(pem);
    expect(fromPem.keyDescription).toBe('EC-P-256');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect((await checkCsr(der)).publicKeyInfo).toEqual(fromPem.publicKeyInfo);
    const spki = openssl(['req', '-noout', '-pubkey', '-in', { file: 'r.pem', content: pem }]);
    expect(toPem(fromPem.publicKeyInfo, 'PUBLIC KEY')).toBe(spki);
  });

  it('encodeCsr makes requests openssl verifies, and checkCsr accepts them', async () => {
    for (const key of [generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey]) {
      const der = await encodeCsr(subject, new KeyObjectSigner(key));
      const pem = toPem(der, 'CERTIFICATE REQUEST');
      expect(() => openssl(['req', '-verify', '-noout', '-in', { file: 'r.pem', content: pem }])).not.toThrow();
      expect((await checkCsr(pem)).keyDescription).toMatch(/^(EC-P-384|RSA-3072)$/);
    }
  });

  it('tells malformed (400) from refused (422)', async () => {
    await expect(checkCsr('junk')).rejects.toThrow(BadRequest);
    await expect(checkCsr(Buffer.from([0x30, 0x03, 0x02, 0x01]))).rejects.toThrow(BadRequest);
    const der = await encodeCsr(subject, new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    await expect(checkCsr(Buffer.concat([der, Buffer.from([0])]))).rejects.toThrow(BadRequest); // trailing byte
    const tampered = Buffer.from(der);
    tampered[20] ^= 0x01; // inside the signed info
    await expect(checkCsr(tampered)).rejects.toThrow(Refused);
  });
});
