import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt N=2^15, r=8, p=1: ~50 ms and 32 MiB per hash here (OWASP's minimum is N=2^17 with
// p=1 or N=2^15 with more memory; this fits a 2-core machine under a login burst).
const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;

/**
 * Password hashes run one at a time, and at most `MAX_WAITING` wait: scrypt runs on libuv's four
 * threadpool threads, which the signing accounts' PIN KDF shares, and 32 concurrent bogus logins
 * filled them and slowed a signer's sign-hash from 78 ms to 2–4.6 s (issue #13 item 2). One at a
 * time still hashes ~20 logins a second; beyond the queue a login is refused with 429 (setting a
 * password, an admin's or a logged-in user's act, waits instead).
 */
const MAX_WAITING = 32;
let running = false;
const waiting: (() => void)[] = [];

/** Raised when too many password checks are already queued. */
export class PasswordHashingBusy extends Error {}

async function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number, bounded = false): Promise<Buffer> {
  if (running) {
    if (bounded && waiting.length >= MAX_WAITING) throw new PasswordHashingBusy('too many password checks queued');
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running = true;
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEM }, (err, key) =>
        err ? reject(err) : resolve(key),
      ),
    );
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running = false;
  }
}

/** `scrypt$N$r$p$salt$hash` (base64) of a password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Checks a password against a stored hash in constant time; PasswordHashingBusy when too many wait. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p), true);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password hash nobody can match; verified against when the user does not exist, to keep timing flat. */
export const UNMATCHABLE_HASH = `scrypt$${N}$${R}$${P}$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
