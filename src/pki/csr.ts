import { createPublicKey, verify as nodeVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { bitString, integer, sequence, tlv } from './der.js';
import { children, childrenOf, content, DerError, expectTag, raw, readOid, readWhole } from './der-reader.js';
import { OID } from './oids.js';
import { MalformedInput, RefusedInput } from './errors.js';
import { derFromPemOrDer } from './pem.js';
import type { Signer } from './signer.js';

/** The named curves src/pki reads keys on. */
export type NamedCurve = 'P-256' | 'P-384';

/**
 * Which keys a caller accepts (the caller's policy, as data): RSA moduli from `rsaBits.min` to
 * `rsaBits.max` bits, ECDSA on `curves`.
 */
export interface KeyPolicy {
  readonly rsaBits: { readonly min: number; readonly max: number };
  readonly curves: readonly NamedCurve[];
}

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

/**
 * Parses a PKCS#10 request (PEM or DER), checks its key against `policy` and verifies its
 * self-signature, the proof of possession (RFC 2986 §3). Garbage is MalformedInput; a well-formed
 * CSR that is not accepted is RefusedInput, saying why (SHA-1 and unknown signature algorithms
 * are refused). The signature is verified on the libuv thread pool, so a 500-row batch uses every core.
 */
export async function checkCsr(input: string | Uint8Array, policy: KeyPolicy): Promise<CheckedCsr> {
  const der = derFromPemOrDer(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  if (!der) throw new MalformedInput('csr is neither a PEM "CERTIFICATE REQUEST" nor DER/base64 DER');
  let info: Buffer, spki: Buffer, signatureOid: string, signature: Buffer;
  try {
    const outer = readWhole(der, 0x30);
    const [infoTlv, algTlv, sigTlv] = children(outer);
    const infoFields = childrenOf(infoTlv, 0x30);
    expectTag(infoFields[0], 0x02);
    expectTag(infoFields[1], 0x30);
    const spkiTlv = expectTag(infoFields[2], 0x30);
    const [spkiAlg] = children(spkiTlv);
    expectTag(spkiAlg, 0x30);
    signatureOid = readOid(childrenOf(algTlv, 0x30)[0]!);
    const sigBits = content(expectTag(sigTlv, 0x03));
    if (sigBits[0] !== 0) throw new DerError('signature BIT STRING has unused bits');
    info = raw(infoTlv!);
    spki = Buffer.from(raw(spkiTlv));
    signature = sigBits.subarray(1);
  } catch (err) {
    if (err instanceof DerError) throw new MalformedInput(`csr is not a PKCS#10 request: ${err.message}`);
    throw err;
  }
  const { key, description } = checkPublicKey(spki, policy);
  if (SHA1_SIGNATURES.has(signatureOid)) throw new RefusedInput('the CSR is signed with SHA-1, which is refused; sign it with SHA-256 or stronger');
  const hash = CSR_SIGNATURE_HASHES[signatureOid];
  if (!hash) throw new RefusedInput(`the CSR's signature algorithm ${signatureOid} is not accepted (use RSA PKCS#1 v1.5 or ECDSA with SHA-256/384/512)`);
  const ecdsa = signatureOid.startsWith('1.2.840.10045.');
  if (ecdsa !== (key.asymmetricKeyType === 'ec')) {
    throw new RefusedInput(`the CSR's signature algorithm does not match its ${description} key`);
  }
  const verified = await new Promise<boolean>((resolve, reject) =>
    nodeVerify(hash, info, { key, dsaEncoding: 'der' }, signature, (err, ok) => (err ? reject(err) : resolve(ok))),
  );
  if (!verified) {
    throw new RefusedInput('the CSR signature does not verify: no proof of possession of the private key');
  }
  return { der, publicKeyInfo: spki, keyDescription: description };
}

/** A public key as a key policy sees it, read from the DER alone. */
export interface PublicKeyDescription {
  /** `RSA-2048`, `EC-P-256`, … */
  readonly description: string;
  /** The same key as a JWK when it can be one (uncompressed EC point, RSA): a cheaper import. */
  readonly jwk?: JsonWebKey;
}

const NAMED_CURVES: Record<string, { name: NamedCurve; size: number }> = {
  [OID.secp256r1]: { name: 'P-256', size: 32 },
  [OID.secp384r1]: { name: 'P-384', size: 48 },
};

/**
 * Checks a SubjectPublicKeyInfo against `policy` by reading its DER — no key import, so it costs
 * microseconds where OpenSSL 3's decoder costs a signature's worth (measured: createPublicKey from
 * DER ≈ 2 × an ECDSA verify). RefusedInput naming the problem.
 */
export function describePublicKey(spki: Uint8Array, policy: KeyPolicy): PublicKeyDescription {
  const curves = policy.curves.join(' or ');
  const accepted = `RSA ${policy.rsaBits.min}–${policy.rsaBits.max} or ECDSA ${policy.curves.join('/')}`;
  let algorithm: string, parameter: string | undefined, bits: Buffer;
  try {
    const [alg, bitString] = children(readWhole(spki, 0x30));
    const [algOid, params] = childrenOf(alg, 0x30);
    algorithm = readOid(algOid!);
    parameter = params?.tag === 0x06 ? readOid(params) : undefined;
    const keyBits = content(expectTag(bitString, 0x03));
    if (keyBits[0] !== 0) throw new DerError('public key BIT STRING has unused bits');
    bits = keyBits.subarray(1);
  } catch (err) {
    if (err instanceof DerError) throw new RefusedInput(`the public key does not parse: ${err.message}`);
    throw err;
  }
  if (algorithm === OID.ecPublicKey) {
    const known = parameter ? NAMED_CURVES[parameter] : undefined;
    const curve = known && policy.curves.includes(known.name) ? known : undefined;
    if (!curve) {
      const name = parameter ? (CURVE_NAMES[parameter] ?? known?.name ?? parameter) : 'with explicit parameters';
      throw new RefusedInput(`EC curve ${name} is not accepted: use ${curves}`);
    }
    const uncompressed = bits[0] === 0x04 && bits.length === 1 + 2 * curve.size;
    const b64 = (from: number) => bits.subarray(from, from + curve.size).toString('base64url');
    return {
      description: `EC-${curve.name}`,
      ...(uncompressed ? { jwk: { kty: 'EC', crv: curve.name, x: b64(1), y: b64(1 + curve.size) } } : {}),
    };
  }
  if (algorithm === OID.rsaEncryption) {
    let modulus: Buffer, exponent: Buffer;
    try {
      const [n, e] = children(readWhole(bits, 0x30));
      modulus = content(expectTag(n, 0x02));
      exponent = content(expectTag(e, 0x02));
    } catch (err) {
      if (err instanceof DerError) throw new RefusedInput(`the RSA public key does not parse: ${err.message}`);
      throw err;
    }
    while (modulus.length > 1 && modulus[0] === 0) modulus = modulus.subarray(1);
    const size = (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]!));
    if (size < policy.rsaBits.min) throw new RefusedInput(`RSA key of ${size} bits is too weak: at least ${policy.rsaBits.min} bits are required`);
    if (size > policy.rsaBits.max) throw new RefusedInput(`RSA key of ${size} bits is not accepted: at most ${policy.rsaBits.max} bits`);
    return { description: `RSA-${size}`, jwk: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') } };
  }
  const name = KEY_ALGORITHM_NAMES[algorithm] ?? algorithm;
  throw new RefusedInput(`${name} keys are not accepted: use ${accepted}`);
}
const CURVE_NAMES: Record<string, string> = { '1.3.132.0.35': 'secp521r1 (P-521)', '1.3.132.0.10': 'secp256k1', '1.2.840.10045.3.1.1': 'prime192v1 (P-192)', '1.3.132.0.33': 'secp224r1 (P-224)' };
const KEY_ALGORITHM_NAMES: Record<string, string> = { '1.3.101.112': 'ed25519', '1.3.101.113': 'ed448', '1.2.840.10040.4.1': 'dsa', '1.3.101.110': 'x25519' };

/** The key behind a SubjectPublicKeyInfo if `policy` accepts it, else RefusedInput naming the problem. */
export function checkPublicKey(spki: Uint8Array, policy: KeyPolicy): { key: KeyObject; description: string } {
  const { description, jwk } = describePublicKey(spki, policy);
  try {
    const key = jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return { key, description };
  } catch {
    throw new RefusedInput(`the ${description} public key is not valid (not a point on the curve, or malformed)`);
  }
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
