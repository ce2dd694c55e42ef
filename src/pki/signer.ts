import { createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { OID } from './oids.js';

/** A signature algorithm as X.509 and CMS name it, with the DER of its AlgorithmIdentifier. */
export interface SignatureAlgorithm {
  readonly oid: string;
  /** Digest the signature is computed over, as node:crypto names it. */
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  /** DER of the AlgorithmIdentifier (with NULL parameters for RSA, absent for ECDSA: RFC 5758 §3.2). */
  readonly identifierDer: Uint8Array;
}

/**
 * A private key that signs. Builders take a Signer, never a raw key, so that a soft key,
 * a PIN-wrapped signing-account key or a PKCS#11 token can stand behind it.
 */
export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  /** DER SubjectPublicKeyInfo of the key pair. */
  readonly publicKeyInfo: Uint8Array;
  /** Signs `data` (hashing it with `algorithm.hash`); ECDSA signatures are DER Ecdsa-Sig-Value. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Signs many items, in order, where the key store does better than one `sign` each (worker
   * threads, an HSM's batch API). Callers fall back to `sign` when it is absent.
   */
  signMany?(data: readonly Uint8Array[]): Promise<Uint8Array[]>;
}

const ECDSA_SHA256 = Uint8Array.from([0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
const ECDSA_SHA384 = Uint8Array.from([0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]);
const RSA_SHA256 = Uint8Array.from([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
]);

/** The algorithms kyso signs with. */
export const SIGNATURE_ALGORITHMS = {
  ecdsaWithSHA256: { oid: OID.ecdsaWithSHA256, hash: 'sha256', identifierDer: ECDSA_SHA256 },
  ecdsaWithSHA384: { oid: OID.ecdsaWithSHA384, hash: 'sha384', identifierDer: ECDSA_SHA384 },
  sha256WithRSAEncryption: { oid: OID.sha256WithRSAEncryption, hash: 'sha256', identifierDer: RSA_SHA256 },
} as const satisfies Record<string, SignatureAlgorithm>;

/** The signature algorithm that fits a key: ECDSA with the curve's hash size, RSA with SHA-256. */
export function algorithmForKey(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return SIGNATURE_ALGORITHMS.ecdsaWithSHA256;
    if (curve === 'secp384r1') return SIGNATURE_ALGORITHMS.ecdsaWithSHA384;
    throw new Error(`unsupported EC curve ${curve}`);
  }
  if (key.asymmetricKeyType === 'rsa') return SIGNATURE_ALGORITHMS.sha256WithRSAEncryption;
  throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
}

/** A Signer over a private key held in process memory (node:crypto, native). */
export class KeyObjectSigner implements Signer {
  readonly algorithm: SignatureAlgorithm;
  readonly publicKeyInfo: Uint8Array;

  constructor(private readonly privateKey: KeyObject) {
    this.algorithm = algorithmForKey(privateKey);
    this.publicKeyInfo = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  }

  sign(data: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      nodeSign(this.algorithm.hash, data, { key: this.privateKey, dsaEncoding: 'der' }, (err, signature) =>
        err ? reject(err) : resolve(signature),
      );
    });
  }

  /** Signs on the calling thread: cheaper than the thread-pool round trip for small batches. */
  signSync(data: Uint8Array): Uint8Array {
    return nodeSign(this.algorithm.hash, data, { key: this.privateKey, dsaEncoding: 'der' });
  }
}
