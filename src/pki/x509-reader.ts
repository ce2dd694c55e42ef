import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import {
  childrenOf,
  contentOf,
  DerError,
  encodingOf,
  expectTag,
  readNameAttributes,
  readOid,
  readTime,
  readWhole,
} from './der-reader.js';
import { BadRequest } from '../errors.js';
import type { NameAttribute } from './name.js';
import { OID } from './oids.js';
import { derFromPemOrDer } from './pem.js';

/** The fields of an X.509 certificate kyso stores or checks, read without pkijs. */
export interface ReadCertificate {
  readonly der: Buffer;
  /** The exact TBSCertificate bytes the issuer signed. */
  readonly tbs: Buffer;
  /** Lowercase hex without leading zeros. */
  readonly serial: string;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly issuer: NameAttribute[];
  readonly subject: NameAttribute[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKeyInfo: Buffer;
  readonly signatureOid: string;
  readonly signature: Buffer;
  /** basicConstraints cA (RFC 5280 §4.2.1.9). */
  readonly isCa: boolean;
}

/** Digest of each signature algorithm kyso verifies on certificates (RFC 3279, RFC 4055, RFC 5758). */
const SIGNATURE_HASHES: Record<string, string> = {
  [OID.sha1WithRSAEncryption]: 'sha1',
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
  [OID.ecdsaWithSHA1]: 'sha1',
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
};

/** Reads a certificate sent by a client (PEM, base64 or DER); anything else is a 400 that says what is wrong. */
export function readCertificateInput(input: string | Uint8Array): ReadCertificate {
  const der = derFromPemOrDer(input, ['CERTIFICATE']);
  if (!der) throw new BadRequest('not a PEM "CERTIFICATE" nor base64 DER');
  try {
    return readCertificate(der);
  } catch (err) {
    if (err instanceof DerError) throw new BadRequest(`not an X.509 certificate: ${err.message}`);
    throw err;
  }
}

/** Reads a DER certificate; throws DerError for anything that is not one. */
export function readCertificate(input: Uint8Array): ReadCertificate {
  const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const [tbsTlv, algTlv, sigTlv] = childrenOf(der, readWhole(der, 0x30));
  const fields = childrenOf(der, expectTag(tbsTlv, 0x30));
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // version [0] EXPLICIT, absent for v1
  const serialBytes = contentOf(der, expectTag(fields[i++], 0x02));
  if (serialBytes.length === 0) throw new DerError('empty serial number');
  expectTag(fields[i++], 0x30); // signature AlgorithmIdentifier (repeated outside the TBS)
  const issuerTlv = expectTag(fields[i++], 0x30);
  const validity = childrenOf(der, expectTag(fields[i++], 0x30));
  const subjectTlv = expectTag(fields[i++], 0x30);
  const spkiTlv = expectTag(fields[i++], 0x30);
  let isCa = false;
  for (; i < fields.length; i++) {
    if (fields[i]!.tag !== 0xa3) continue;
    for (const ext of childrenOf(der, expectTag(childrenOf(der, fields[i]!)[0], 0x30))) {
      const parts = childrenOf(der, expectTag(ext, 0x30));
      if (readOid(der, parts[0]!) !== OID.basicConstraints) continue;
      const value = contentOf(der, expectTag(parts[parts.length - 1], 0x04));
      const [cA] = childrenOf(value, readWhole(value, 0x30));
      isCa = cA?.tag === 0x01 && value[cA.contentStart] !== 0;
    }
  }
  const sigBits = contentOf(der, expectTag(sigTlv, 0x03));
  if (sigBits.length === 0 || sigBits[0] !== 0) throw new DerError('signature BIT STRING has unused bits');
  if (validity.length !== 2) throw new DerError('validity needs notBefore and notAfter');
  return {
    der,
    tbs: encodingOf(der, tbsTlv!),
    serial: serialBytes.toString('hex').replace(/^0+/, '') || '0',
    issuerDer: encodingOf(der, issuerTlv),
    subjectDer: encodingOf(der, subjectTlv),
    issuer: readNameAttributes(der, issuerTlv),
    subject: readNameAttributes(der, subjectTlv),
    notBefore: readTime(der, validity[0]!),
    notAfter: readTime(der, validity[1]!),
    publicKeyInfo: encodingOf(der, spkiTlv),
    signatureOid: readOid(der, childrenOf(der, expectTag(algTlv, 0x30))[0]!),
    signature: sigBits.subarray(1),
    isCa,
  };
}

/**
 * Whether `issuerKey` verifies the certificate's signature (on the libuv thread pool, so batches use
 * every core). Undefined when the signature algorithm is one kyso does not verify (RSASSA-PSS,
 * GOST, …), so callers can say so rather than "bad signature".
 */
export async function verifyCertificateSignature(cert: ReadCertificate, issuerKey: KeyObject): Promise<boolean | undefined> {
  const hash = SIGNATURE_HASHES[cert.signatureOid];
  if (!hash) return undefined;
  const ecdsa = cert.signatureOid.startsWith('1.2.840.10045.');
  if (ecdsa !== (issuerKey.asymmetricKeyType === 'ec')) return false;
  return new Promise((resolve) =>
    nodeVerify(hash, cert.tbs, { key: issuerKey, dsaEncoding: 'der' }, cert.signature, (err, ok) => resolve(!err && ok)),
  );
}
