import { fromPki } from '../errors.js';
import type { KeyObject } from 'node:crypto';
import { checkCsr as readCsr, checkPublicKey, describePublicKey, type CheckedCsr, type KeyPolicy, type PublicKeyDescription } from '../pki/csr.js';

/**
 * kyso's key policy for the certificates it issues: RSA 2048–4096 bits, ECDSA P-256 or P-384
 * (product.md). src/pki applies it; a key or CSR it refuses is a 422 saying why, one that does
 * not parse a 400.
 */
export const KEY_POLICY: KeyPolicy = { rsaBits: { min: 2048, max: 4096 }, curves: ['P-256', 'P-384'] };

/** A PKCS#10 request's key under kyso's policy, its proof of possession verified (400 malformed, 422 refused). */
export function checkCsr(input: string | Uint8Array): Promise<CheckedCsr> {
  return fromPki(() => readCsr(input, KEY_POLICY));
}

/** A SubjectPublicKeyInfo under kyso's policy (422 naming the problem). */
export function checkKey(spki: Uint8Array): PublicKeyDescription {
  return fromPki(() => describePublicKey(spki, KEY_POLICY));
}

/**
 * A trust anchor's key under the same policy as CSRs, as a key Node can verify with (422 naming
 * the problem): an EC point Node cannot parse would otherwise break every import (#13).
 */
export function checkAnchorKey(spki: Uint8Array): KeyObject {
  return fromPki(() => checkPublicKey(spki, KEY_POLICY)).key;
}
