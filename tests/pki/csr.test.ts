import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCsr, describePublicKey, encodeCsr, type KeyPolicy } from '../../src/pki/csr.js';
import { MalformedInput, RefusedInput } from '../../src/pki/errors.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import { openssl } from '../requests/support.js';

// An RSA-3072 key from a fixture: generating one takes seconds (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072).
const rsa3072 = createPrivateKey(readFileSync(new URL('./fixtures/csr-rsa-3072.key', import.meta.url)));

const policy: KeyPolicy = { rsaBits: { min: 2048, max: 4096 }, curves: ['P-256', 'P-384'] };

const subject = encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.commonName, value: 'Nguyễn Văn A' }]);

describe('checkCsr', () => {
  it('reads an openssl CSR in PEM and DER and returns its key', async () => {
    const pem = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', { file: 'k.pem', content: '' }, '-subj', '/CN=x']);
    const fromPem = await checkCsr(pem, policy);
    expect(fromPem.keyDescription).toBe('EC-P-256');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect((await checkCsr(der, policy)).publicKeyInfo).toEqual(fromPem.publicKeyInfo);
    const spki = openssl(['req', '-noout', '-pubkey', '-in', { file: 'r.pem', content: pem }]);
    expect(toPem(fromPem.publicKeyInfo, 'PUBLIC KEY')).toBe(spki);
  });

  it('encodeCsr makes requests openssl verifies, and checkCsr accepts them', async () => {
    for (const key of [generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, rsa3072]) {
      const der = await encodeCsr(subject, new KeyObjectSigner(key));
      const pem = toPem(der, 'CERTIFICATE REQUEST');
      expect(() => openssl(['req', '-verify', '-noout', '-in', { file: 'r.pem', content: pem }])).not.toThrow();
      expect((await checkCsr(pem, policy)).keyDescription).toMatch(/^(EC-P-384|RSA-3072)$/);
    }
  });

  it('tells malformed from refused', async () => {
    await expect(checkCsr('junk', policy)).rejects.toThrow(MalformedInput);
    await expect(checkCsr(Buffer.from([0x30, 0x03, 0x02, 0x01]), policy)).rejects.toThrow(MalformedInput);
    const der = await encodeCsr(subject, new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    await expect(checkCsr(Buffer.concat([der, Buffer.from([0])]), policy)).rejects.toThrow(MalformedInput); // trailing byte
    const tampered = Buffer.from(der);
    tampered[20] ^= 0x01; // inside the signed info
    await expect(checkCsr(tampered, policy)).rejects.toThrow(RefusedInput);
  });
});

describe('describePublicKey', () => {
  const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
  const p256 = spki(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  const rsa2048 = spki(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);

  it('applies the policy it is given, and says what that policy accepts', () => {
    expect(describePublicKey(p256, policy).description).toBe('EC-P-256');
    expect(describePublicKey(rsa2048, policy).description).toBe('RSA-2048');
    const strict: KeyPolicy = { rsaBits: { min: 3072, max: 3072 }, curves: ['P-384'] };
    expect(() => describePublicKey(p256, strict)).toThrow(new RefusedInput('EC curve P-256 is not accepted: use P-384'));
    expect(() => describePublicKey(rsa2048, strict)).toThrow(new RefusedInput('RSA key of 2048 bits is too weak: at least 3072 bits are required'));
    expect(describePublicKey(spki(createPublicKey(rsa3072)), strict).description).toBe('RSA-3072');
    const ed25519 = spki(generateKeyPairSync('ed25519').publicKey);
    expect(() => describePublicKey(ed25519, strict)).toThrow(new RefusedInput('ed25519 keys are not accepted: use RSA 3072–3072 or ECDSA P-384'));
  });
});
