import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkCsr, checkKey } from '../../src/certificates/key-policy.js';
import { BadRequest, Refused } from '../../src/errors.js';
import { encodeCsr } from '../../src/pki/csr.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';

// kyso's key policy, applied by src/pki, with its errors as kyso's: malformed 400, refused 422.
describe('the key policy', () => {
  const subject = encodeName([{ type: OID.commonName, value: 'x' }]);
  const spki = (type: 'ec' | 'ed25519', namedCurve?: string) =>
    (type === 'ec' ? generateKeyPairSync('ec', { namedCurve: namedCurve! }) : generateKeyPairSync('ed25519')).publicKey.export({ type: 'spki', format: 'der' });

  it('accepts P-256 and P-384, refuses other curves and algorithms with a 422 saying what is accepted', () => {
    expect(checkKey(spki('ec', 'P-256')).description).toBe('EC-P-256');
    expect(checkKey(spki('ec', 'P-384')).description).toBe('EC-P-384');
    expect(() => checkKey(spki('ec', 'P-521'))).toThrow(new Refused('EC curve secp521r1 (P-521) is not accepted: use P-256 or P-384'));
    expect(() => checkKey(spki('ed25519'))).toThrow(new Refused('ed25519 keys are not accepted: use RSA 2048–4096 or ECDSA P-256/P-384'));
  });

  it('maps a malformed CSR to 400 and a refused one to 422', async () => {
    await expect(checkCsr('junk')).rejects.toThrow(BadRequest);
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    await expect(checkCsr(await encodeCsr(subject, new KeyObjectSigner(rsa1024)))).rejects.toThrow(
      new Refused('RSA key of 1024 bits is too weak: at least 2048 bits are required'),
    );
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect((await checkCsr(await encodeCsr(subject, new KeyObjectSigner(p256)))).keyDescription).toBe('EC-P-256');
  });
});
