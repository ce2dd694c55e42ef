import type { Authority, CertificateAuthorities } from '../ca/authorities.js';
import type { ValidationData } from '../pki/pades.js';
import { encodeOcspRequest } from '../pki/ocsp.js';
import { readCertificate } from '../pki/x509-reader.js';
import type { Revocation } from '../revocation/revocation.js';
import type { TimeStampAuthority } from '../tsa/tsa.js';

/**
 * Gathers what a PAdES-B-LT signature carries in its DSS (ETSI EN 319 142-1 §5.4): the chains of
 * the signer and of the TSA up to kyso's root, the current CRL of each CA on them, and an OCSP
 * response for the signer's and the TSA's certificates — answered by kyso's own responder in
 * process, so the document stays verifiable when that responder is long gone.
 */
export class ValidationDataCollector {
  constructor(
    private readonly authorities: CertificateAuthorities,
    private readonly revocation: Revocation,
    private readonly tsa: TimeStampAuthority,
  ) {}

  /** Validation data for a signer certificate (DER) issued by one of kyso's CAs. */
  async collect(signerDer: Buffer): Promise<ValidationData> {
    const certificates = new Map<string, Buffer>();
    const crls: Buffer[] = [];
    const ocsps: Buffer[] = [];
    const cas = new Set<Authority>();
    for (const leaf of [signerDer, this.tsa.certificate()]) {
      certificates.set(leaf.toString('base64'), leaf);
      const issuer = this.issuerOf(leaf);
      if (!issuer) continue;
      for (const ca of this.authorities.chain(issuer)) {
        certificates.set(ca.certificateDer.toString('base64'), ca.certificateDer);
        cas.add(ca);
      }
      ocsps.push((await this.revocation.ocsp.respond(encodeOcspRequest(leaf, issuer.certificateDer))).der);
    }
    for (const ca of cas) {
      if (ca.kind === 'root' || ca.kind === 'issuing') crls.push((await this.revocation.crls.current(ca.name)).der);
    }
    return { certificates: [...certificates.values()], crls, ocsps };
  }

  private issuerOf(der: Buffer): Authority | undefined {
    const issuerDer = readCertificate(der).issuerDer;
    return this.authorities.all().find((a) => (a.kind === 'root' || a.kind === 'issuing') && a.subjectDer.equals(issuerDer));
  }
}
