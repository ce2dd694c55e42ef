import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedDataReference, CmsSignatureBuilder, CMS_OID } from '../../src/pki/cms.js';
import { toArrayBuffer } from '../../src/pki/engine.js';
import type { Signer } from '../../src/pki/signer.js';
import { scratch } from '../support/scratch.js';
import { GOLDEN_TIME, goldenPki, type GoldenPki } from './cms-fixtures.js';

const DOCUMENT = Buffer.from('Học bạ số — năm học 2025-2026, lớp 12A1\n', 'utf8');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** ECDSA is randomized: this signer returns the same signature for the same input, so two encoders can be compared. */
function replaying(signer: Signer): Signer {
  const seen = new Map<string, Uint8Array>();
  return {
    algorithm: signer.algorithm,
    publicKeyInfo: signer.publicKeyInfo,
    async sign(data) {
      const key = Buffer.from(data).toString('hex');
      if (!seen.has(key)) seen.set(key, await signer.sign(data));
      return seen.get(key)!;
    },
  };
}

let pki: GoldenPki;
let tmp: ReturnType<typeof scratch>;
beforeAll(async () => {
  pki = await goldenPki();
  tmp = scratch();
  tmp.pem('ca.pem', [pki.caDer]);
  tmp.write('doc.txt', DOCUMENT);
  tmp.write('tampered.txt', Buffer.concat([DOCUMENT, Buffer.from(' ')]));
});
afterAll(() => tmp.remove());

describe('CmsSignatureBuilder', () => {
  it('matches the golden vector (fixed RSA key and clock)', async () => {
    const builder = new CmsSignatureBuilder(pki.rsaSigner, [pki.rsaDer, pki.caDer]);
    const der = await builder.sign({ digest: sha256(DOCUMENT), signingTime: GOLDEN_TIME });
    // Signed attributes, in DER order: contentType, signingTime, messageDigest, signing-certificate-v2.
    expect(builder.signedAttributes(sha256(DOCUMENT), GOLDEN_TIME).toString('hex')).toBe(
      '3181d4301806092a864886f70d010903310b06092a864886f70d010701301c06092a864886f70d010905310f170d3236303330313038' +
        '333030305a302f06092a864886f70d010904312204208e2b2913286a422c7c3300429cfbe5eb91dede2ef6418c23f5a11bc6c4f465c2' +
        '3069060b2a864886f70d010910022f315a305830563054042021f627a75af5fc345dc970631c0f03e68867e4975c9bb6ddd5f64fed35' +
        'b7fad23030302aa4283026310b300906035504061302564e3117301506035504030c0e476f6c64656e205465737420434102021001',
    );
    expect(sha256(der).toString('hex')).toBe('92624d622f3b1d6f22539a6d7b8130776db0e455a2f13cadea1fe548135c8ac8');
  });

  for (const variant of [
    { name: 'detached with signingTime', signingTime: GOLDEN_TIME, content: undefined },
    { name: 'enveloping with signingTime', signingTime: GOLDEN_TIME, content: DOCUMENT },
    { name: 'detached without signingTime (PAdES)', signingTime: undefined, content: undefined },
  ]) {
    for (const key of ['rsa', 'p256'] as const) {
      it(`emits exactly the pkijs reference bytes: ${variant.name}, ${key}`, async () => {
        const signer = replaying(key === 'rsa' ? pki.rsaSigner : pki.p256Signer);
        const chain = [key === 'rsa' ? pki.rsaDer : pki.p256Der, pki.caDer];
        const input = { digest: sha256(DOCUMENT), signingTime: variant.signingTime, content: variant.content };
        const fast = await new CmsSignatureBuilder(signer, chain).sign(input);
        const reference = await buildSignedDataReference(signer, chain, input);
        expect(fast.toString('hex')).toBe(reference.toString('hex'));
      });
    }
  }

  it('emits the reference bytes with an unsigned attribute, a non-data content type, with and without certificates', async () => {
    const signer = replaying(pki.p256Signer);
    const chain = [pki.p256Der, pki.caDer];
    const attr = Buffer.from('300d06092a864886f70d0109053100', 'hex'); // any well-formed Attribute
    const input = { digest: sha256(DOCUMENT), content: DOCUMENT };
    for (const embedCertificates of [true, false]) {
      const builder = new CmsSignatureBuilder(signer, chain, { contentType: CMS_OID.tstInfo, embedCertificates });
      const fast = await builder.sign(input, async () => [attr]);
      const reference = await buildSignedDataReference(signer, chain, input, {
        contentType: CMS_OID.tstInfo,
        unsignedAttributes: [attr],
        embedCertificates,
      });
      expect(fast.toString('hex')).toBe(reference.toString('hex'));
    }
  });

  for (const key of ['rsa', 'p256'] as const) {
    it(`signDigests (the sign-hash path) emits exactly the reference bytes for each digest, ${key}`, async () => {
      const signer = replaying(key === 'rsa' ? pki.rsaSigner : pki.p256Signer);
      const chain = [key === 'rsa' ? pki.rsaDer : pki.p256Der, pki.caDer];
      const digests = ['a', 'b', 'c', 'd'].map((s) => sha256(Buffer.from(s)));
      const batch = await new CmsSignatureBuilder(signer, chain).signDigests(digests, GOLDEN_TIME);
      expect(batch).toHaveLength(4);
      for (const [i, digest] of digests.entries()) {
        const reference = await buildSignedDataReference(signer, chain, { digest, signingTime: GOLDEN_TIME });
        expect(batch[i]!.toString('hex')).toBe(reference.toString('hex'));
      }
    });
  }

  it('sorts the signed attributes by their DER encoding (PKI.js#402)', async () => {
    const builder = new CmsSignatureBuilder(pki.p256Signer, [pki.p256Der, pki.caDer]);
    const der = await builder.sign({ digest: sha256(DOCUMENT), signingTime: GOLDEN_TIME });
    const info = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    const signedData = new pkijs.SignedData({ schema: info.content });
    const attributes = signedData.signerInfos[0]!.signedAttrs!.attributes;
    expect(attributes.map((a) => a.type).sort()).toEqual(
      [CMS_OID.contentType, CMS_OID.messageDigest, CMS_OID.signingTime, CMS_OID.signingCertificateV2].sort(),
    );
    const encodings = attributes.map((a) => Buffer.from(a.toSchema().toBER()));
    expect([...encodings].sort(Buffer.compare)).toEqual(encodings);
    // ESSCertIDv2 without hashAlgorithm (SHA-256 is the DEFAULT): certHash is the first element.
    const essCertId = attributes.find((a) => a.type === CMS_OID.signingCertificateV2)!.values[0]!.valueBlock.value[0]
      .valueBlock.value[0];
    expect(essCertId.valueBlock.value[0].idBlock.tagNumber).toBe(4); // OCTET STRING, not an AlgorithmIdentifier
  });
});

describe('openssl cms interop', () => {
  for (const key of ['rsa', 'p256'] as const) {
    it(`verifies a detached ${key} signature with -cades and rejects a tampered document`, async () => {
      const [signer, leaf] = key === 'rsa' ? [pki.rsaSigner, pki.rsaDer] : [pki.p256Signer, pki.p256Der];
      const der = await new CmsSignatureBuilder(signer, [leaf, pki.caDer]).sign({ digest: sha256(DOCUMENT), signingTime: new Date() });
      tmp.write(`detached-${key}.p7s`, der);
      const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', `detached-${key}.p7s`, '-CAfile', 'ca.pem', '-cades', '-out', '/dev/null'];
      const good = tmp.run('openssl', [...args, '-content', 'doc.txt']);
      expect(good.output).toContain('Verification successful');
      expect(good.ok).toBe(true);
      const bad = tmp.run('openssl', [...args, '-content', 'tampered.txt']);
      expect(bad.ok).toBe(false);
      expect(bad.output).toMatch(/digest failure|Verification failure/);
    });
  }

  it('verifies an enveloping signature and returns the content', async () => {
    const der = await new CmsSignatureBuilder(pki.p256Signer, [pki.p256Der, pki.caDer]).sign({
      digest: sha256(DOCUMENT),
      signingTime: new Date(),
      content: DOCUMENT,
    });
    tmp.write('enveloping.p7m', der);
    const res = tmp.run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'enveloping.p7m', '-CAfile', 'ca.pem', '-cades', '-out', 'out.txt']);
    expect(res.ok).toBe(true);
    expect(tmp.run('cmp', ['out.txt', 'doc.txt']).ok).toBe(true);
    // Tampering with one byte of the encapsulated content breaks the messageDigest.
    const at = der.indexOf(DOCUMENT);
    const tampered = Buffer.from(der);
    tampered[at] ^= 0x01;
    tmp.write('enveloping-tampered.p7m', tampered);
    const bad = tmp.run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'enveloping-tampered.p7m', '-CAfile', 'ca.pem', '-cades', '-out', '/dev/null']);
    expect(bad.ok).toBe(false);
  });
});
