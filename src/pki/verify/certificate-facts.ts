import { createHash, type KeyObject } from 'node:crypto';
import { subjectPublicKeyBits } from '../extensions.js';
import { formatName } from '../name.js';
import { OID } from '../oids.js';
import { readCertificate, readExtensions, type CertificateExtensions, type ReadCertificate } from '../x509-reader.js';
import { publicKeyOf } from './algorithms.js';

/**
 * What the verifier needs from a certificate: what the reader (pki/x509-reader.ts) reads, under BER
 * as documents may carry it, and what follows from it; cached by fingerprint.
 */
export interface CertificateFacts extends ReadCertificate, CertificateExtensions {
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  /** The public key, or undefined when node:crypto cannot use it. */
  readonly publicKey: KeyObject | undefined;
  /** Subject DN, formatted as kyso prints names. */
  readonly subjectDn: string;
  readonly issuerDn: string;
  /** UID attribute values of the subject (0.9.2342.19200300.100.1.1), in order. */
  readonly uids: readonly string[];
}

const cache = new Map<string, CertificateFacts>();
const CACHE_LIMIT = 20_000;

/** Reads a DER certificate (cached by its SHA-256, so a signer seen before costs one hash). Throws DerError. */
export function certificateFacts(der: Buffer): CertificateFacts {
  const fingerprint = createHash('sha256').update(der).digest('hex');
  const known = cache.get(fingerprint);
  if (known) return known;
  const cert = readCertificate(Buffer.from(der), 'ber');
  const facts: CertificateFacts = {
    ...cert,
    ...readExtensions(cert, 'ber'),
    fingerprint,
    publicKey: publicKeyOf(cert.publicKeyInfo),
    subjectDn: formatName(cert.subject),
    issuerDn: formatName(cert.issuer),
    uids: cert.subject.filter((a) => a.type === OID.userId).map((a) => a.value),
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(fingerprint, facts);
  return facts;
}

/** The key identifier a SignerIdentifier may name: the SKI extension, else RFC 5280 method 1 over the key. */
export function keyIdOf(cert: CertificateFacts): Buffer {
  return cert.subjectKeyId ?? createHash('sha1').update(subjectPublicKeyBits(cert.publicKeyInfo)).digest();
}
