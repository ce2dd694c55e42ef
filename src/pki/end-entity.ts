import { bitString, explicit, implicitPrimitive, oid, sequence, tlv, unsignedInteger, x509Time } from './der.js';
import {
  accessExtensions,
  authorityKeyIdentifierValue,
  encodeExtension,
  extKeyUsageValue,
  keyIdentifier,
  KeyUsageBit,
  keyUsageValue,
  subjectKeyIdentifierValue,
  type AccessUrls,
  type ExtensionSpec,
} from './extensions.js';
import { OID } from './oids.js';
import type { SignatureAlgorithm } from './signer.js';

/** What a profile decides in an end-entity certificate's extensions. */
export interface EndEntityExtensionProfile {
  /** The certificatePolicies OID that names the profile (RFC 5280 §4.2.1.4). */
  readonly policyOid: string;
  /** extendedKeyUsage purposes, in order. */
  readonly extendedKeyUsages: readonly string[];
}

/** The issuing CA as the end-entity encoder needs it. */
export interface EndEntityIssuer {
  /** DER of the CA certificate's subject: the issuer field, byte for byte. */
  readonly subjectDer: Uint8Array;
  /** The CA's key identifier, for AuthorityKeyIdentifier. */
  readonly keyId: Uint8Array;
  readonly algorithm: SignatureAlgorithm;
}

/** The per-certificate fields of an end-entity TBSCertificate. */
export interface EndEntityFields {
  /** Unsigned big-endian serial magnitude. */
  readonly serialNumber: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectDer: Uint8Array;
  readonly publicKeyInfo: Uint8Array;
  /** rfc822Name for subjectAltName (RFC 5280 §4.2.1.6), when the holder gave one. */
  readonly email?: string;
}

/**
 * The extensions every certificate of a profile shares: keyUsage digitalSignature+nonRepudiation
 * (critical: these certificates sign documents, they do not encipher), extendedKeyUsage,
 * certificatePolicies, AuthorityKeyIdentifier, CRL distribution point and AIA (OCSP, caIssuers) at `urls`.
 */
export function sharedExtensions(profile: EndEntityExtensionProfile, issuer: EndEntityIssuer, urls: AccessUrls): ExtensionSpec[] {
  return [
    { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.nonRepudiation]) },
    { oid: OID.extKeyUsage, critical: false, value: extKeyUsageValue(profile.extendedKeyUsages) },
    { oid: OID.certificatePolicies, critical: false, value: sequence(sequence(oid(profile.policyOid))) },
    { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(issuer.keyId) },
    ...accessExtensions(urls),
  ];
}

/** The extensions that differ per certificate: SubjectKeyIdentifier and the optional e-mail subjectAltName. */
export function ownExtensions(fields: Pick<EndEntityFields, 'publicKeyInfo' | 'email'>): ExtensionSpec[] {
  const extensions: ExtensionSpec[] = [
    { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(keyIdentifier(fields.publicKeyInfo)) },
  ];
  if (fields.email) {
    extensions.push({ oid: OID.subjectAltName, critical: false, value: sequence(implicitPrimitive(1, Buffer.from(fields.email, 'latin1'))) });
  }
  return extensions;
}

/** Every extension of an end-entity certificate, in the order both encoders emit them. */
export function endEntityExtensions(
  profile: EndEntityExtensionProfile,
  issuer: EndEntityIssuer,
  urls: AccessUrls,
  fields: Pick<EndEntityFields, 'publicKeyInfo' | 'email'>,
): ExtensionSpec[] {
  return [...sharedExtensions(profile, issuer, urls), ...ownExtensions(fields)];
}

const VERSION_V3 = explicit(0, Buffer.from([0x02, 0x01, 0x02]));

/**
 * The fast end-entity encoder: what is the same for every certificate of a profile and CA
 * (version, algorithm, issuer, shared extensions) is encoded once; per certificate only serial,
 * validity, subject, key, SKI and SAN are encoded. A golden test proves its bytes equal
 * `buildCertificate` (pkijs) for the same template.
 */
export class EndEntityEncoder {
  private readonly head: Buffer;
  private readonly shared: Buffer;
  private readonly algorithm: Buffer;

  constructor(profile: EndEntityExtensionProfile, issuer: EndEntityIssuer, urls: AccessUrls) {
    this.algorithm = Buffer.from(issuer.algorithm.identifierDer);
    this.head = Buffer.concat([this.algorithm, issuer.subjectDer]);
    this.shared = Buffer.concat(sharedExtensions(profile, issuer, urls).map(encodeExtension));
  }

  /** DER TBSCertificate for one certificate. */
  tbs(fields: EndEntityFields): Buffer {
    const extensions = explicit(3, sequence(this.shared, ...ownExtensions(fields).map(encodeExtension)));
    return sequence(
      VERSION_V3,
      unsignedInteger(fields.serialNumber),
      this.head,
      sequence(x509Time(fields.notBefore), x509Time(fields.notAfter)),
      fields.subjectDer,
      fields.publicKeyInfo,
      extensions,
    );
  }

  /** DER Certificate from its TBSCertificate and the CA's signature over it. */
  certificate(tbs: Uint8Array, signature: Uint8Array): Buffer {
    return tlv(0x30, tbs, this.algorithm, bitString(signature));
  }
}

