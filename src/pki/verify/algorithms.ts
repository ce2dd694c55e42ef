import { constants, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { OID } from '../oids.js';
import { children, DerError, readAlgorithm, smallInteger, type AlgorithmIdentifier, type Tlv } from '../der-reader.js';

/** A digest as node:crypto names it. */
export type DigestName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

const DIGESTS: Record<string, DigestName> = {
  [OID.sha1]: 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

/** Signature algorithms that name their digest (RFC 5758, RFC 4055, RFC 3279). */
const SIGNATURE_DIGESTS: Record<string, DigestName> = {
  [OID.ecdsaWithSHA1]: 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
  [OID.sha1WithRSAEncryption]: 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
};

/** The node:crypto name of a digest algorithm, or undefined when kyso does not know it. */
export const digestName = (algorithm: AlgorithmIdentifier): DigestName | undefined => DIGESTS[algorithm.oid];

/** How to check one signature with node:crypto. */
export interface VerifyMethod {
  /** Digest hashed over the signed bytes. */
  readonly hash: DigestName;
  readonly pss?: { saltLength: number };
}

/**
 * How to verify a signature made with `signature` (a CMS signatureAlgorithm or an X.509
 * signatureAlgorithm). CMS allows the bare key algorithm (rsaEncryption, as OpenSSL writes it, or
 * ecPublicKey) with the digest taken from the SignerInfo's digestAlgorithm (RFC 5754 §3).
 * Undefined for an algorithm kyso does not verify.
 */
export function verifyMethod(signature: AlgorithmIdentifier, digest?: DigestName): VerifyMethod | undefined {
  const named = SIGNATURE_DIGESTS[signature.oid];
  if (named) return { hash: named };
  if ((signature.oid === OID.rsaEncryption || signature.oid === OID.ecPublicKey) && digest) {
    return { hash: digest };
  }
  if (signature.oid === OID.rsassaPss) return pssMethod(signature.parameters);
  return undefined;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1): SHA-1 and salt length 20 by default; MGF1 must use the same
 * digest. Parameters that cannot be read give no method, as an unknown algorithm does: they come
 * with signatures, certificates, CRLs and OCSP responses anyone can send.
 */
function pssMethod(parameters: Tlv | undefined): VerifyMethod | undefined {
  let hash: DigestName | undefined = 'sha1';
  let mgfHash: DigestName | undefined = 'sha1';
  let saltLength = 20;
  try {
    for (const field of parameters ? children(parameters) : []) {
      const [inner] = children(field);
      if (field.tag === 0xa0) hash = digestName(readAlgorithm(inner));
      if (field.tag === 0xa1) {
        const mgf = readAlgorithm(inner);
        mgfHash = mgf.parameters ? digestName(readAlgorithm(mgf.parameters)) : undefined;
      }
      if (field.tag === 0xa2) saltLength = smallInteger(inner);
    }
  } catch (err) {
    if (err instanceof DerError) return undefined;
    throw err;
  }
  if (!hash || hash !== mgfHash) return undefined;
  return { hash, pss: { saltLength } };
}

/** Verifies `signature` over `data` with `key` (ECDSA signatures are DER Ecdsa-Sig-Value); false on any error. */
export function verifySignature(method: VerifyMethod, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (method.pss) {
      return nodeVerify(
        method.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: method.pss.saltLength },
        signature,
      );
    }
    return nodeVerify(method.hash, data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** A public key from DER SubjectPublicKeyInfo, or undefined when node:crypto cannot read it. */
export function publicKeyOf(spki: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/**
 * Why an algorithm or key no longer protects a signature (ETSI TS 119 312: SHA-1 and RSA keys
 * under 2048 bits are not acceptable for new signatures), or undefined when it is fine.
 */
export function weakness(method: VerifyMethod | undefined, digest: DigestName | undefined, key: KeyObject | undefined): string | undefined {
  if (digest === 'sha1' || method?.hash === 'sha1') return 'SHA-1 is no longer accepted for signatures';
  const bits = key?.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < 2048) return `an RSA key of ${bits} bits is too short`;
  return undefined;
}
