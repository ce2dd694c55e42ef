import { authorityKeyIdentifierValue, encodeExtension } from './extensions.js';
import { bitString, integer, sequence, tlv, unsignedInteger, x509Time } from './der.js';
import { OID } from './oids.js';
import type { Signer } from './signer.js';

/** CRLReason codes (RFC 5280 §5.3.1); 7 is unused. kyso stores the names, the DER carries the codes. */
export const CRL_REASON_CODES = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

/** An RFC 5280 revocation reason, named as in the ASN.1 module. */
export type CrlReason = keyof typeof CRL_REASON_CODES;

/** The reason code of a stored reason name; unknown or missing names are `unspecified`. */
export function reasonCode(reason: string | null | undefined): number {
  return reason && reason in CRL_REASON_CODES ? CRL_REASON_CODES[reason as CrlReason] : CRL_REASON_CODES.unspecified;
}

/** One revokedCertificates entry. */
export interface RevokedEntry {
  /** Unsigned big-endian serial magnitude. */
  readonly serial: Uint8Array;
  readonly revocationDate: Date;
  /** RFC 5280 reason code; `unspecified` (0) is left out of the entry, as §5.3.1 asks. */
  readonly reasonCode: number;
}

/** Everything that goes into a TBSCertList. */
export interface CrlTemplate {
  /** DER Name of the issuing CA, copied byte for byte from its certificate's subject (§5.1.2.3). */
  readonly issuer: Uint8Array;
  /** The CA's subject key identifier, for the authorityKeyIdentifier extension (§5.2.1, required). */
  readonly authorityKeyId: Uint8Array;
  readonly crlNumber: number | bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly RevokedEntry[];
}

/** DER of one revokedCertificates entry: serial, revocationDate and the reasonCode entry extension. */
export function encodeRevokedEntry(entry: RevokedEntry): Buffer {
  const fields = [unsignedInteger(entry.serial), x509Time(entry.revocationDate)];
  if (entry.reasonCode !== CRL_REASON_CODES.unspecified) {
    const reason = tlv(0x0a, Buffer.from([entry.reasonCode])); // ENUMERATED
    fields.push(sequence(encodeExtension({ oid: OID.crlReason, critical: false, value: reason })));
  }
  return sequence(...fields);
}

/**
 * DER of a v2 TBSCertList (RFC 5280 §5.1.2) with the authorityKeyIdentifier and cRLNumber
 * extensions. revokedCertificates is left out when empty, as the ASN.1 requires.
 */
export function encodeTbsCertList(template: CrlTemplate, signatureAlgorithm: Uint8Array): Buffer {
  const extensions = [
    encodeExtension({ oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(template.authorityKeyId) }),
    encodeExtension({ oid: OID.crlNumber, critical: false, value: integer(template.crlNumber) }),
  ];
  return sequence(
    integer(1), // v2: needed for extensions (§5.1.2.1)
    signatureAlgorithm,
    template.issuer,
    x509Time(template.thisUpdate),
    x509Time(template.nextUpdate),
    ...(template.entries.length ? [sequence(...template.entries.map(encodeRevokedEntry))] : []),
    tlv(0xa0, sequence(...extensions)), // crlExtensions [0] EXPLICIT
  );
}

/** Builds and signs a CRL: DER CertificateList (RFC 5280 §5.1). */
export async function buildCrl(template: CrlTemplate, signer: Signer): Promise<Buffer> {
  const algorithm = signer.algorithm.identifierDer;
  const tbs = encodeTbsCertList(template, algorithm);
  const signature = await signer.sign(tbs);
  return sequence(tbs, algorithm, bitString(signature));
}
