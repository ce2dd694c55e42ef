import { hkdfSync, scrypt } from 'node:crypto';
import { unwrapKey, wrapKey, type WrappedKey } from '../pki/key-wrap.js';
import type { RandomSource } from '../pki/serial.js';

/** How a signing account's PIN was stretched: stored per account so the cost can rise on a PIN change. */
export interface PinKdf {
  readonly alg: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
}

/**
 * scrypt N=2^10, r=8, p=1: 1 MiB and ~2.5 ms of CPU here. Deliberately modest. A 6–8 digit PIN has
 * at most 10^8 values, so no KDF a server can afford makes an offline search hopeless; what
 * resists a database dump is the master key, which is not in the database and is mixed into every
 * key-encryption key, and what resists guessing online is the 5-attempt lockout. The KDF only makes
 * a search by someone holding both the dump and the master key cost memory and time — all 10,373
 * accounts with 6-digit PINs ≈ 10^10 guesses ≈ 300 CPU-days — while provisioning those accounts
 * spends ~26 CPU-seconds on it (N=2^11 doubled that and was most of the provisioning time).
 */
export const PIN_KDF_COST = { N: 1 << 10, r: 8, p: 1 } as const;

/** A PIN: 6 to 8 decimal digits. */
export const PIN_PATTERN = /^\d{6,8}$/;

/** AAD binding a wrapped key to its account, so it cannot be moved onto another row (key-wrap.ts). */
export const accountKeyAad = (accountId: string): string => `signing-account:${accountId}`;

/**
 * The key-encryption key: HKDF-SHA256 over the master key and the scrypt-stretched PIN, salted
 * per account and bound to its id. Neither the PIN alone nor a database dump without the master
 * key yields it.
 */
async function keyEncryptionKey(masterKey: Buffer, pin: string, kdf: PinKdf, accountId: string): Promise<Buffer> {
  const salt = Buffer.from(kdf.salt, 'base64');
  const stretched = await new Promise<Buffer>((resolve, reject) =>
    scrypt(pin, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
  return Buffer.from(hkdfSync('sha256', Buffer.concat([masterKey, stretched]), salt, `kyso signing-account ${accountId}`, 32));
}

/** Wraps a PKCS#8 private key under a fresh salt and the PIN. */
export async function wrapWithPin(
  masterKey: Buffer,
  random: RandomSource,
  accountId: string,
  pin: string,
  pkcs8: Uint8Array,
): Promise<{ wrappedKey: WrappedKey; kdf: PinKdf }> {
  const kdf: PinKdf = { alg: 'scrypt', ...PIN_KDF_COST, salt: random(16).toString('base64') };
  const kek = await keyEncryptionKey(masterKey, pin, kdf, accountId);
  return { wrappedKey: wrapKey(kek, pkcs8, accountKeyAad(accountId)), kdf };
}

/** The PKCS#8 key, or undefined when the PIN is wrong (the GCM tag does not verify). */
export async function unwrapWithPin(
  masterKey: Buffer,
  accountId: string,
  pin: string,
  wrappedKey: WrappedKey,
  kdf: PinKdf,
): Promise<Buffer | undefined> {
  const kek = await keyEncryptionKey(masterKey, pin, kdf, accountId);
  try {
    return unwrapKey(kek, wrappedKey, accountKeyAad(accountId));
  } catch {
    return undefined;
  }
}
