/*
 * The errors src/pki throws about what it is given. They say what is wrong, for people; the
 * service that called maps them to its own (kyso: src/errors.ts kysoErrorOf, 400 and 422).
 */

/** Input that is not what it should be: not PEM nor DER, DER that does not parse as the structure. */
export class MalformedInput extends Error {}

/** Well-formed input that the policy src/pki was given refuses, or that does not verify (a weak key, no proof of possession). */
export class RefusedInput extends Error {}
