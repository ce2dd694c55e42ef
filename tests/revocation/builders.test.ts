import { createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { buildCertificate } from '../../src/pki/certificate.js';
import { buildCrl, CRL_REASON_CODES, encodeTbsCertList, reasonCode, type CrlTemplate } from '../../src/pki/crl.js';
import { ensurePkijsEngine, toArrayBuffer } from '../../src/pki/engine.js';
import { keyIdentifier } from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import {
  encodeOcspError,
  encodeOcspResponse,
  encodeResponseData,
  encodeSingleResponse,
  issuerHashes,
  MalformedOcspRequest,
  OcspResponseStatus,
  parseOcspRequest,
  responderIdentity,
  type SingleResponseSpec,
} from '../../src/pki/ocsp.js';
import { OID } from '../../src/pki/oids.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import { pkijsCrl, pkijsCrlTbs, pkijsOcspRequest, pkijsOcspResponse, pkijsResponseData } from './pkijs-reference.js';

// A fixed RSA key: PKCS#1 v1.5 signatures are deterministic, so whole DER outputs are golden vectors.
const signer = new KeyObjectSigner(createPrivateKey(readFileSync(new URL('./fixtures/golden-rsa.key', import.meta.url))));
const publicKey = createPublicKey(createPrivateKey(readFileSync(new URL('./fixtures/golden-rsa.key', import.meta.url))));
const issuer = encodeName([
  { type: OID.countryName, value: 'VN' },
  { type: OID.organizationName, value: 'Kyso Golden' },
  { type: OID.commonName, value: 'Kyso Golden Issuing CA' },
]);
const keyId = keyIdentifier(signer.publicKeyInfo);
const t0 = new Date('2026-11-01T00:00:00Z');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const crlTemplate: CrlTemplate = {
  issuer,
  authorityKeyId: keyId,
  crlNumber: 4242,
  thisUpdate: t0,
  nextUpdate: new Date(t0.getTime() + 24 * 3600 * 1000),
  entries: [
    // top bit set: the INTEGER needs a 0x00 pad
    { serial: Buffer.from('9a0b0c0d0e0f10111213141516171819', 'hex'), revocationDate: new Date('2026-10-30T10:11:12Z'), reasonCode: CRL_REASON_CODES.keyCompromise },
    { serial: Buffer.from('0102', 'hex'), revocationDate: new Date('2026-10-31T00:00:01Z'), reasonCode: CRL_REASON_CODES.certificateHold },
    { serial: Buffer.from('7f', 'hex'), revocationDate: new Date('2026-10-31T23:59:59Z'), reasonCode: CRL_REASON_CODES.unspecified },
  ],
};

describe('CRL builder', () => {
  it('encodes the TBSCertList exactly as pkijs does, with and without entries, and across the UTCTime/GeneralizedTime switch', () => {
    const variants: CrlTemplate[] = [
      crlTemplate,
      { ...crlTemplate, entries: [] },
      { ...crlTemplate, crlNumber: 2n ** 70n, nextUpdate: new Date('2050-01-01T00:00:00Z') },
    ];
    for (const template of variants) {
      const fast = encodeTbsCertList(template, signer.algorithm.identifierDer);
      const reference = pkijsCrlTbs(pkijsCrl(template, signer.algorithm.identifierDer));
      expect(fast.toString('hex')).toBe(reference.toString('hex'));
    }
  });

  it('produces a golden CRL whose signature verifies and that pkijs reads back', async () => {
    const der = await buildCrl(crlTemplate, signer);
    const reference = pkijsCrl(crlTemplate, signer.algorithm.identifierDer);
    const tbs = pkijsCrlTbs(reference);
    reference.signatureValue = new asn1js.BitString({ valueHex: toArrayBuffer(await signer.sign(tbs)) });
    expect(der.equals(Buffer.from(reference.toSchema(true).toBER()))).toBe(true);
    expect(sha256(der)).toBe(GOLDEN_CRL_SHA256);
    expect(verify('sha256', tbs, publicKey, der.subarray(der.length - 256))).toBe(true);

    const parsed = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der));
    expect(parsed.version).toBe(1);
    expect(parsed.revokedCertificates).toHaveLength(3);
    const reasons = parsed.revokedCertificates!.map((r) => r.crlEntryExtensions?.extensions[0]?.extnID);
    expect(reasons).toEqual([OID.crlReason, OID.crlReason, undefined]);
  });

  it('maps stored reason names to RFC 5280 codes, unknown names to unspecified', () => {
    expect(reasonCode('keyCompromise')).toBe(1);
    expect(reasonCode('certificateHold')).toBe(6);
    expect(reasonCode('privilegeWithdrawn')).toBe(9);
    expect(reasonCode(null)).toBe(0);
    expect(reasonCode('bogus')).toBe(0);
  });
});

describe('OCSP response builder', () => {
  const certId = (serialHex: string, hash: 'sha1' | 'sha256' = 'sha1') => {
    const { nameHash, keyHash } = issuerHashes(hash, issuer, signer.publicKeyInfo);
    const request = pkijsOcspRequest([{ hash: hash === 'sha1' ? OID.sha1 : OID.sha256, nameHash, keyHash, serial: Buffer.from(serialHex, 'hex') }]);
    return parseOcspRequest(request).certIds[0]!.der;
  };
  const nextUpdate = new Date(t0.getTime() + 3600 * 1000);
  const singles: SingleResponseSpec[] = [
    { certId: certId('0a0b0c'), status: { kind: 'good' }, thisUpdate: t0, nextUpdate },
    { certId: certId('00ff01', 'sha256'), status: { kind: 'revoked', revocationTime: new Date('2026-10-30T10:11:12Z'), reasonCode: 1 }, thisUpdate: t0, nextUpdate },
    { certId: certId('1234'), status: { kind: 'revoked', revocationTime: new Date('2026-10-31T00:00:00Z'), reasonCode: 0 }, thisUpdate: t0, nextUpdate },
    { certId: certId('77'), status: { kind: 'unknown' }, thisUpdate: t0, nextUpdate },
  ];
  const nonce = Buffer.from('0410000102030405060708090a0b0c0d0e0f', 'hex');

  it('encodes ResponseData and the whole OCSPResponse exactly as pkijs does', async () => {
    ensurePkijsEngine();
    const responderCert = await buildCertificate(
      {
        serialNumber: Buffer.from('42', 'hex'),
        issuer,
        subject: issuer,
        notBefore: t0,
        notAfter: nextUpdate,
        subjectPublicKeyInfo: signer.publicKeyInfo,
        extensions: [],
      },
      signer,
    );
    for (const [n, certificates] of [[nonce, [responderCert]], [undefined, []]] as const) {
      const identity = responderIdentity(signer.publicKeyInfo, signer.algorithm.identifierDer, certificates);
      const data = encodeResponseData(identity, t0, singles.map(encodeSingleResponse), n);
      const referenceData = pkijsResponseData(keyId, t0, singles, n);
      expect(data.toString('hex')).toBe(Buffer.from(referenceData.toSchema(true).toBER()).toString('hex'));
      const signature = await signer.sign(data);
      const der = encodeOcspResponse(identity, data, signature);
      expect(der.equals(pkijsOcspResponse(referenceData, signer.algorithm.identifierDer, signature, certificates))).toBe(true);
      if (n) expect(sha256(der)).toBe(GOLDEN_OCSP_SHA256);
      // pkijs reads it back and the signature verifies with the responder key.
      const basic = new pkijs.BasicOCSPResponse({
        schema: asn1js.fromBER(
          toArrayBuffer(pkijs.OCSPResponse.fromBER(toArrayBuffer(der)).responseBytes!.response.valueBlock.valueHexView),
        ).result,
      });
      expect(basic.tbsResponseData.responses).toHaveLength(4);
      expect(verify('sha256', data, publicKey, Buffer.from(basic.signature.valueBlock.valueHexView))).toBe(true);
    }
  });

  it('encodes status-only responses', () => {
    expect(encodeOcspError(OcspResponseStatus.malformedRequest).toString('hex')).toBe('30030a0101');
    expect(encodeOcspError(OcspResponseStatus.internalError).toString('hex')).toBe('30030a0102');
  });
});

describe('OCSP request parser', () => {
  const { nameHash, keyHash } = issuerHashes('sha1', issuer, signer.publicKeyInfo);
  const nonce = Buffer.from('0410a1a2a3a4a5a6a7a8a9aaabacadaeafb0', 'hex');

  it('reads what pkijs reads: CertIDs (SHA-1, SHA-256, unknown hash), serials, nonce, version and requestor name', () => {
    const s256 = issuerHashes('sha256', issuer, signer.publicKeyInfo);
    const request = pkijsOcspRequest(
      [
        { hash: OID.sha1, nameHash, keyHash, serial: Buffer.from('00c0ffee', 'hex') },
        { hash: OID.sha256, nameHash: s256.nameHash, keyHash: s256.keyHash, serial: Buffer.from('0a', 'hex') },
        { hash: '1.2.3.4', nameHash, keyHash, serial: Buffer.from('0b', 'hex') },
        { hash: OID.sha1, nameHash, keyHash, serial: Buffer.from('ff', 'hex') }, // negative
        { hash: OID.sha1, nameHash, keyHash, serial: Buffer.from('00', 'hex') }, // zero
      ],
      { nonce, requestorName: true, version: true },
    );
    const parsed = parseOcspRequest(request);
    const reference = pkijs.OCSPRequest.fromBER(toArrayBuffer(request));
    expect(parsed.certIds.map((c) => c.der.toString('hex'))).toEqual(
      reference.tbsRequest.requestList.map((r) => Buffer.from(r.reqCert.toSchema().toBER()).toString('hex')),
    );
    expect(parsed.certIds.map((c) => c.hashAlgorithm)).toEqual(['sha1', 'sha256', undefined, 'sha1', 'sha1']);
    expect(parsed.certIds.map((c) => c.serial)).toEqual(['c0ffee', 'a', 'b', undefined, undefined]);
    expect(parsed.certIds[0]!.issuerNameHash.equals(nameHash)).toBe(true);
    expect(parsed.certIds[0]!.issuerKeyHash.equals(keyHash)).toBe(true);
    expect(parsed.nonce?.equals(nonce)).toBe(true);
    expect(parseOcspRequest(pkijsOcspRequest([{ hash: OID.sha1, nameHash, keyHash, serial: Buffer.from('01', 'hex') }])).nonce).toBeUndefined();
  });

  it('rejects every truncation and survives every single-byte corruption with MalformedOcspRequest or a parse', () => {
    const request = pkijsOcspRequest([{ hash: OID.sha1, nameHash, keyHash, serial: Buffer.from('0102', 'hex') }], { nonce });
    for (let length = 0; length < request.length; length++) {
      expect(() => parseOcspRequest(request.subarray(0, length))).toThrow(MalformedOcspRequest);
    }
    expect(() => parseOcspRequest(Buffer.concat([request, Buffer.from([0])]))).toThrow(MalformedOcspRequest);
    for (let i = 0; i < request.length; i++) {
      for (const value of [0x00, 0x80, 0xff, request[i]! ^ 0x01]) {
        const corrupted = Buffer.from(request);
        corrupted[i] = value;
        try {
          parseOcspRequest(corrupted);
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedOcspRequest);
        }
      }
    }
  });

  it('refuses an empty request list and an oversized nonce', () => {
    expect(() => parseOcspRequest(Buffer.from('30043002 3000'.replace(/ /g, ''), 'hex'))).toThrow(MalformedOcspRequest);
    const bigNonce = Buffer.concat([Buffer.from('0441', 'hex'), Buffer.alloc(65, 1)]);
    expect(() => parseOcspRequest(pkijsOcspRequest([{ hash: OID.sha1, nameHash, keyHash, serial: Buffer.from('01', 'hex') }], { nonce: bigNonce }))).toThrow(
      MalformedOcspRequest,
    );
  });
});

const GOLDEN_CRL_SHA256 = '15048f6ff51d0eb15a1441497918321120384ff7cf7f1cb862ca828547767cd1';
const GOLDEN_OCSP_SHA256 = '23ba66803f30f660f1c0d0ecb8d46675dc0ca0e5e8fed312a647abb083174894';
