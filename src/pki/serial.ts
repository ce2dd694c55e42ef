import { randomBytes } from 'node:crypto';

/** Source of random bytes, injected so that tests can produce golden vectors. */
export type RandomSource = (length: number) => Buffer;

/** Cryptographically secure randomness. */
export const secureRandom: RandomSource = (length) => randomBytes(length);

/**
 * A 16-byte positive serial (CA/B BR §7.1: at least 64 random bits; RFC 5280 §4.1.2.2: positive,
 * ≤ 20 octets). The top bit is cleared so the INTEGER needs no 0x00 pad, and the first byte kept
 * non-zero so every serial encodes to exactly 16 octets.
 */
export function randomSerial(random: RandomSource = secureRandom): Buffer {
  const serial = random(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}
