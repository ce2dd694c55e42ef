import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { BadRequest, Refused } from '../errors.js';
import { bitString, integer, sequence, tlv } from './der.js';
import { childrenOf, contentOf, DerError, encodingOf, expectTag, readOid, readWhole } from './der-reader.js';
import { OID } from './oids.js';
import { derFromPemOrDer } from './pem.js';
import type { Signer } from './signer.js';

/** What kyso takes from a PKCS#10 request: only the key. The subject comes from the reviewed request. */
export interface CheckedCsr {
  /** The CSR as received, DER. */
  readonly der: Buffer;
  /** DER SubjectPublicKeyInfo, copied (the CSR's buffer may be reused). */
  readonly publicKeyInfo: Buffer;
  /** `RSA-2048`, `EC-P-256`, … for messages and the audit trail. */
  readonly keyDescription: string;
}

/** Signature algorithms accepted on a CSR and the digest each uses (RFC 4055, RFC 5758). */
const CSR_SIGNATURE_HASHES: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
};
const SHA1_SIGNATURES = new Set([OID.sha1WithRSAEncryption, OID.ecdsaWithSHA1, '1.2.840.10040.4.3']);
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/**
 * Parses a PKCS#10 request (PEM or DER), checks its key against kyso's policy (RSA 2048–4096,
 * ECDSA P-256/P-384) and verifies its self-signature, the proof of possession (RFC 2986 §3).
 * Garbage is a 400; a well-formed CSR kyso will not accept is a 422 that says why.
 */
export function checkCsr(input: string | Uint8Array): CheckedCsr {
  const der = derFromPemOrDer(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  if (!der) throw new BadRequest('csr is neither a PEM "CERTIFICATE REQUEST" nor DER/base64 DER');
  let info: Buffer, spki: Buffer, signatureOid: string, signature: Buffer;
  try {
    const outer = readWhole(der, 0x30);
    const [infoTlv, algTlv, sigTlv] = childrenOf(der, outer);
    const infoFields = childrenOf(der, expectTag(infoTlv, 0x30));
    expectTag(infoFields[0], 0x02);
    expectTag(infoFields[1], 0x30);
    const spkiTlv = expectTag(infoFields[2], 0x30);
    const [spkiAlg] = childrenOf(der, spkiTlv);
    expectTag(spkiAlg, 0x30);
    signatureOid = readOid(der, childrenOf(der, expectTag(algTlv, 0x30))[0]!);
    const sigBits = contentOf(der, expectTag(sigTlv, 0x03));
    if (sigBits[0] !== 0) throw new DerError('signature BIT STRING has unused bits');
    info = encodingOf(der, infoTlv!);
    spki = Buffer.from(encodingOf(der, spkiTlv));
    signature = sigBits.subarray(1);
  } catch (err) {
    if (err instanceof DerError) throw new BadRequest(`csr is not a PKCS#10 request: ${err.message}`);
    throw err;
  }
  const { key, description } = checkPublicKey(spki);
  if (SHA1_SIGNATURES.has(signatureOid)) throw new Refused('the CSR is signed with SHA-1, which is refused; sign it with SHA-256 or stronger');
  const hash = CSR_SIGNATURE_HASHES[signatureOid];
  if (!hash) throw new Refused(`the CSR's signature algorithm ${signatureOid} is not accepted (use RSA PKCS#1 v1.5 or ECDSA with SHA-256/384/512)`);
  const ecdsa = signatureOid.startsWith('1.2.840.10045.');
  if (ecdsa !== (key.asymmetricKeyType === 'ec')) {
    throw new Refused(`the CSR's signature algorithm does not match its ${description} key`);
  }
  if (!nodeVerify(hash, info, { key, dsaEncoding: 'der' }, signature)) {
    throw new Refused('the CSR signature does not verify: no proof of possession of the private key');
  }
  return { der, publicKeyInfo: spki, keyDescription: description };
}

/** The key behind a SubjectPublicKeyInfo if kyso's policy accepts it, else a 422 naming the problem. */
export function checkPublicKey(spki: Uint8Array): { key: KeyObject; description: string } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw new Refused('the public key is of a type kyso does not accept or does not parse (RSA 2048–4096, ECDSA P-256/P-384)');
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Refused(`RSA key of ${bits} bits is too weak: at least 2048 bits are required`);
    if (bits > 4096) throw new Refused(`RSA key of ${bits} bits is not accepted: at most 4096 bits`);
    return { key, description: `RSA-${bits}` };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new Refused(`EC curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'} is not accepted: use P-256 or P-384`);
    return { key, description: `EC-${curve}` };
  }
  throw new Refused(`${key.asymmetricKeyType} keys are not accepted: use RSA 2048–4096 or ECDSA P-256/P-384`);
}

/**
 * Encodes and signs a PKCS#10 request with no attributes (RFC 2986 §4). kyso itself only reads
 * CSRs; this serves clients written against kyso's API, the tests and the benchmarks.
 */
export async function encodeCsr(subjectDer: Uint8Array, signer: Signer): Promise<Buffer> {
  const info = sequence(integer(0), subjectDer, signer.publicKeyInfo, tlv(0xa0, Buffer.alloc(0)));
  const signature = await signer.sign(info);
  return sequence(info, signer.algorithm.identifierDer, bitString(signature));
}
