import { dictionary } from '@zxcvbn-ts/language-common';
import { Refused } from '../errors.js';
import { PIN_PATTERN } from '../keys/pin-key.js';

// The credential rules of api.md "Auth" and "Certificates" (issue #13 item 8), in one place so the
// user, password-change, reset, signing-account and PKCS#12 paths apply the same ones.

/** Minimum password length (api.md "Auth"; NIST SP 800-63B allows 8, the ministry asks 12). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted: scrypt's cost grows with it and nobody types more. */
export const MAX_PASSWORD_LENGTH = 256;

// zxcvbn-ts's list of ~49,000 passwords seen most often in breaches, lower-cased.
const COMMON = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

/**
 * Why `password` may not be the password of `username`, or undefined when it may. Refused: shorter
 * than 12 characters, the username (any case, with digits or symbols appended), a common password,
 * or a common password with digits or symbols appended ("Password2024!"), or fewer than five
 * distinct characters ("aaaaaaaaaaaa", "121212121212").
 */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  const stem = lower.replace(/[^\p{L}]+$/u, '');
  const name = username.toLowerCase();
  if (lower === name || stem === name || lower === [...name].reverse().join('')) return 'must not be the username';
  if (COMMON.has(lower) || COMMON.has(stem)) return 'is a commonly used password';
  if (new Set(lower).size < 5) return 'is too simple (fewer than five different characters)';
  return undefined;
}

/**
 * Why `pin` may not be a new PIN, or undefined when it may (api.md "Auth"): 6–8 digits, not all
 * one digit (000000), not a run up or down (123456, 876543, 890123). Checked when a PIN is set,
 * not when one is presented, so accounts created before the rule keep working until changed.
 */
export function pinProblem(pin: string): string | undefined {
  if (!PIN_PATTERN.test(pin)) return 'must be 6 to 8 digits';
  const digits = [...pin].map(Number);
  if (digits.every((d) => d === digits[0])) return 'must not be one digit repeated';
  for (const step of [1, 9]) {
    if (digits.every((d, i) => i === 0 || d === (digits[i - 1]! + step) % 10)) return 'must not be a run of consecutive digits';
  }
  return undefined;
}

/**
 * Why `password` may not protect a PKCS#12 file, or undefined when it may: printable ASCII, 8–64
 * characters. Java's keytool refuses non-ASCII passwords, and the PKCS#12 password is a BMPString
 * ending in NUL, so control characters (ten NULs were accepted) make the key unusable.
 */
export function pkcs12PasswordProblem(password: string): string | undefined {
  if (password.length < 8 || password.length > 64) return 'must be 8 to 64 characters';
  if (!/^[\x20-\x7e]+$/.test(password)) return 'must be printable ASCII (letters, digits, punctuation, space)';
  return undefined;
}

/** Throws a 422 naming `path` when `pin` may not be set as a new PIN. */
export function requireStrongPin(pin: string, path: string): void {
  const problem = pinProblem(pin);
  if (problem) throw new Refused(`the PIN ${problem}`, [{ path, message: problem }]);
}
