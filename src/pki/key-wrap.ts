import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * A private key encrypted at rest: AES-256-GCM over its PKCS#8 DER. `aad` binds the ciphertext to
 * its owner (a CA name, an account id) so a wrapped key cannot be swapped onto another row.
 */
export interface WrappedKey {
  readonly v: 1;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

/** Encrypts `plaintext` under the 32-byte `kek` with AES-256-GCM, bound to `aad`. */
export function wrapKey(kek: Uint8Array, plaintext: Uint8Array, aad: string): WrappedKey {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    v: 1,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Decrypts a WrappedKey; throws when the key, the AAD or the ciphertext do not match. */
export function unwrapKey(kek: Uint8Array, wrapped: WrappedKey, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(wrapped.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(wrapped.ciphertext, 'base64')), decipher.final()]);
}
