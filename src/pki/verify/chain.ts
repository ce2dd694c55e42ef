import { verifyMethod, verifySignature } from './algorithms.js';
import type { CertificateFacts } from './certificate-facts.js';

/** The certificates a chain may be built from: trusted ones end a chain, others may sit inside it. */
export class CertificatePool {
  private readonly bySubject = new Map<string, CertificateFacts[]>();
  private readonly trustedKeys = new Set<string>();

  /** `trusted`: built-in CAs and trust anchors (an intermediate anchor counts as trusted). */
  constructor(trusted: readonly CertificateFacts[], untrusted: readonly CertificateFacts[] = []) {
    for (const cert of trusted) {
      this.trustedKeys.add(trustKey(cert));
      this.add(cert);
    }
    for (const cert of untrusted) this.add(cert);
  }

  /** Whether `cert` is a trust anchor: the same certificate, or the same subject and key re-issued. */
  isTrusted(cert: CertificateFacts): boolean {
    return this.trustedKeys.has(trustKey(cert));
  }

  /** Candidates for the issuer of `cert`: same subject as its issuer, key id matching when both are known; trusted first. */
  issuersOf(cert: CertificateFacts): CertificateFacts[] {
    const candidates = (this.bySubject.get(cert.issuerDer.toString('hex')) ?? []).filter(
      (c) => !cert.authorityKeyId || !c.subjectKeyId || cert.authorityKeyId.equals(c.subjectKeyId),
    );
    return candidates.sort((a, b) => Number(this.isTrusted(b)) - Number(this.isTrusted(a)));
  }

  private add(cert: CertificateFacts): void {
    const key = cert.subjectDer.toString('hex');
    const list = this.bySubject.get(key) ?? [];
    if (!list.some((c) => c.fingerprint === cert.fingerprint)) list.push(cert);
    this.bySubject.set(key, list);
  }
}

const trustKey = (cert: CertificateFacts): string => `${cert.subjectDer.toString('hex')}/${cert.publicKeyInfo.toString('hex')}`;

const signedCache = new Map<string, boolean>();
const SIGNED_CACHE_LIMIT = 50_000;

/** Whether `issuer`'s key made `cert`'s signature (memoized: a certificate's signature never changes). */
export function isSignedBy(cert: CertificateFacts, issuer: CertificateFacts): boolean {
  const key = cert.fingerprint + issuer.fingerprint;
  const known = signedCache.get(key);
  if (known !== undefined) return known;
  const method = verifyMethod(cert.signatureAlgorithm);
  const ok = Boolean(method && issuer.publicKey && verifySignature(method, issuer.publicKey, cert.tbs, cert.signature));
  if (signedCache.size >= SIGNED_CACHE_LIMIT) signedCache.delete(signedCache.keys().next().value!);
  signedCache.set(key, ok);
  return ok;
}

/** The outcome of chain building. */
export type ChainResult =
  | { readonly kind: 'trusted'; readonly chain: CertificateFacts[] }
  | { readonly kind: 'constraints'; readonly chain: CertificateFacts[]; readonly reason: string }
  | { readonly kind: 'none'; readonly chain: CertificateFacts[] };

const MAX_CHAIN = 10;

/**
 * Builds a chain from `leaf` to a trusted certificate, checking every signature along it, then the
 * CA constraints of RFC 5280 §6.1.4 (basicConstraints cA, keyCertSign, pathLenConstraint).
 * Validity periods and revocation are judged by the caller at the signing time.
 */
export function buildChain(leaf: CertificateFacts, pool: CertificatePool): ChainResult {
  const found = search(leaf, pool, [leaf]);
  if (!found) return { kind: 'none', chain: [leaf] };
  const chain = completed(found, pool);
  const reason = constraintViolation(chain);
  return reason ? { kind: 'constraints', chain, reason } : { kind: 'trusted', chain };
}

function search(cert: CertificateFacts, pool: CertificatePool, path: CertificateFacts[]): CertificateFacts[] | undefined {
  if (pool.isTrusted(cert)) return path;
  if (path.length >= MAX_CHAIN) return undefined;
  for (const issuer of pool.issuersOf(cert)) {
    if (path.some((c) => c.fingerprint === issuer.fingerprint)) continue;
    if (!isSignedBy(cert, issuer)) continue;
    const found = search(issuer, pool, [...path, issuer]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Extends a chain that ends at a trusted intermediate (the built-in issuing CA) up through trusted
 * issuers to its root, so the report shows the whole trusted path.
 */
function completed(chain: CertificateFacts[], pool: CertificatePool): CertificateFacts[] {
  for (let top = chain[chain.length - 1]!; chain.length < MAX_CHAIN && !top.issuerDer.equals(top.subjectDer); top = chain[chain.length - 1]!) {
    const issuer = pool.issuersOf(top).find((c) => pool.isTrusted(c) && !chain.includes(c) && isSignedBy(top, c));
    if (!issuer) break;
    chain = [...chain, issuer];
  }
  return chain;
}

function constraintViolation(chain: CertificateFacts[]): string | undefined {
  const leaf = chain[0]!;
  // A signing certificate with keyUsage must allow digitalSignature or nonRepudiation (RFC 5280 §4.2.1.3).
  if (leaf.keyUsage && !leaf.keyUsage.has(0) && !leaf.keyUsage.has(1)) {
    return "the signer's certificate does not allow digital signatures (keyUsage)";
  }
  for (let i = 1; i < chain.length; i++) {
    const ca = chain[i]!;
    if (!ca.isCa) return `${ca.subjectDn} is not a CA (basicConstraints)`;
    if (ca.keyUsage && !ca.keyUsage.has(5)) return `${ca.subjectDn} may not sign certificates (keyUsage)`;
    // Intermediates below this CA, not counting the leaf (RFC 5280 §4.2.1.9).
    if (ca.pathLength !== undefined && i - 1 > ca.pathLength) return `${ca.subjectDn}'s path length constraint is exceeded`;
  }
  return undefined;
}
