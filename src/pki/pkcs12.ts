import { createHash, createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { explicit, integer, NULL, octetString, oid, sequence, setOf, tlv } from './der.js';
import { keyIdentifier } from './extensions.js';
import type { RandomSource } from './serial.js';

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.2', // pkcs8ShroudedKeyBag
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** MAC iterations: OpenSSL 3's default for `pkcs12 -export`. */
const MAC_ITERATIONS = 2048;

/**
 * A password-protected PKCS#12 (RFC 7292) that OpenSSL 3 opens without `-legacy`: the key is a
 * PKCS#8 EncryptedPrivateKeyInfo with PBES2 (PBKDF2/HMAC-SHA-256, AES-256-CBC — node:crypto's
 * export, i.e. OpenSSL's own), certificates in a plain SafeContents (they are public), integrity by
 * an HMAC-SHA-256 MAC keyed with the PKCS#12 KDF. No RC2, no 3DES, no SHA-1.
 */
export function encodePkcs12(options: {
  privateKey: KeyObject;
  /** DER certificates, the key's own first, then its chain. */
  certificates: readonly Uint8Array[];
  password: string;
  friendlyName?: string;
  random: RandomSource;
}): Buffer {
  const { privateKey, certificates, password, random } = options;
  if (!certificates[0]) throw new Error('a PKCS#12 needs the certificate of its key');
  // localKeyId pairs the key with its certificate; the SKI-style hash of the public key is stable.
  const localKeyId = keyIdentifier(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  const leafAttributes = [
    sequence(oid(OIDS.localKeyId), setOf(octetString(localKeyId))),
    ...(options.friendlyName ? [sequence(oid(OIDS.friendlyName), setOf(tlv(0x1e, bmp(options.friendlyName))))] : []),
  ];
  const certBags = certificates.map((der, i) =>
    sequence(
      oid(OIDS.certBag),
      explicit(0, sequence(oid(OIDS.x509Certificate), explicit(0, octetString(der)))),
      ...(i === 0 ? [setOf(...leafAttributes)] : []),
    ),
  );
  const encryptedKey = privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: password });
  const keyBag = sequence(oid(OIDS.keyBag), explicit(0, encryptedKey), setOf(...leafAttributes));
  const authenticatedSafe = sequence(dataContentInfo(sequence(...certBags)), dataContentInfo(sequence(keyBag)));

  const salt = random(16);
  const macKey = pkcs12Kdf(password, salt, 3, MAC_ITERATIONS, 32);
  const mac = createHmac('sha256', macKey).update(authenticatedSafe).digest();
  const macData = sequence(sequence(sequence(oid(OIDS.sha256), NULL), octetString(mac)), octetString(salt), integer(MAC_ITERATIONS));
  return sequence(integer(3), dataContentInfo(authenticatedSafe), macData);
}

/** ContentInfo of type data (PKCS#7) around `content`. */
const dataContentInfo = (content: Uint8Array): Buffer => sequence(oid(OIDS.data), explicit(0, octetString(content)));

/** BMPString bytes (UTF-16BE) of `s`. */
function bmp(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  const be = Buffer.from(le);
  be.swap16();
  return be;
}

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-256 (u = 32, v = 64): `id` 1 for
 * keys, 2 for IVs, 3 for MAC keys. The password is a BMPString with a two-byte zero terminator.
 */
export function pkcs12Kdf(password: string, salt: Uint8Array, id: number, iterations: number, length: number): Buffer {
  const u = 32;
  const v = 64;
  const pass = Buffer.concat([bmp(password), Buffer.alloc(2)]);
  const fill = (src: Uint8Array) => {
    if (src.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(pass)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash('sha256').update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash('sha256').update(A).digest();
    blocks.push(A);
    const B = fill(A).subarray(0, v);
    // I_j = (I_j + B + 1) mod 2^(8v), big-endian, for each v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}
