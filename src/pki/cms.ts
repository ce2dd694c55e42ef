import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash } from 'node:crypto';
import { serialBytes } from './certificate.js';
import { explicit, implicitConstructed, integer, octetString, oid, sequence, setOf, tlv, unsignedInteger, x509Time } from './der.js';
import { ensurePkijsEngine, toArrayBuffer } from './engine.js';
import { OID } from './oids.js';
import type { Signer } from './signer.js';
import { readCertificate } from './x509-reader.js';

/** Object identifiers of CMS (RFC 5652), ESS (RFC 2634, RFC 5035) and TSP (RFC 3161). */
export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
} as const;

/** Digest OIDs by node:crypto name. */
export const DIGEST_OID = { sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 } as const;

/** What one SignedData carries besides the constant signer parts. */
export interface SignatureInput {
  /** Digest of the content under the signer's hash: the messageDigest attribute. */
  readonly digest: Uint8Array;
  /** The signingTime attribute; omitted for PAdES, where the time is the PDF's /M (ETSI EN 319 142-1 §5.3). */
  readonly signingTime?: Date;
  /** Encapsulated content (enveloping signature); absent for a detached one. */
  readonly content?: Uint8Array;
}

/** Extra unsigned attributes computed from the signature value (e.g. a CAdES-B-T signature time-stamp). */
export type UnsignedAttributes = (signatureValue: Uint8Array) => Promise<Uint8Array[]>;

/**
 * Fast CAdES-B-B SignedData encoder for one signer (RFC 5652 §5, ETSI EN 319 122-1 §5.2).
 * Everything that does not change from one signature to the next — algorithm identifiers, the
 * signer identifier, the certificate set, the contentType and signing-certificate-v2 attributes —
 * is encoded once; per signature only messageDigest, signingTime and the signature value are.
 * `buildSignedDataReference` builds the same structure with pkijs; tests prove the bytes equal.
 */
export class CmsSignatureBuilder {
  private readonly digestAlgorithm: Buffer;
  private readonly signerIdentifier: Buffer;
  private readonly certificateSet: Buffer;
  private readonly contentTypeAttribute: Buffer;
  private readonly signingCertificateAttribute: Buffer;
  private readonly version: Buffer;

  readonly contentType: string;

  /**
   * @param certificates the signer's certificate first, then its chain
   * @param options.contentType the eContentType (id-data, or id-ct-TSTInfo for a time-stamp token)
   * @param options.embedCertificates false to leave the certificates out (RFC 3161 §2.4.1 certReq false)
   */
  constructor(
    readonly signer: Signer,
    certificates: readonly Uint8Array[],
    options: { contentType?: string; embedCertificates?: boolean } = {},
  ) {
    const leaf = certificateIdentity(certificates[0]!);
    const contentType = (this.contentType = options.contentType ?? CMS_OID.data);
    this.digestAlgorithm = sequence(oid(DIGEST_OID[signer.algorithm.hash]));
    this.signerIdentifier = sequence(leaf.issuer, leaf.serial); // IssuerAndSerialNumber
    this.certificateSet = options.embedCertificates === false ? Buffer.alloc(0) : implicitConstructed(0, ...certificates);
    this.contentTypeAttribute = attribute(CMS_OID.contentType, oid(contentType));
    this.signingCertificateAttribute = attribute(CMS_OID.signingCertificateV2, signingCertificateV2(certificates[0]!, leaf));
    // RFC 5652 §5.1: version 3 when the eContentType is not id-data.
    this.version = integer(contentType === CMS_OID.data ? 1 : 3);
  }

  /** The DER SET of signed attributes (sorted: DER, PKI.js#402) that the signature covers. */
  signedAttributes(digest: Uint8Array, signingTime?: Date): Buffer {
    const attributes = [this.contentTypeAttribute, attribute(CMS_OID.messageDigest, octetString(digest))];
    if (signingTime) attributes.push(attribute(CMS_OID.signingTime, x509Time(signingTime)));
    attributes.push(this.signingCertificateAttribute);
    return setOf(...attributes);
  }

  /** Signs one content digest and returns the DER ContentInfo. */
  async sign(input: SignatureInput, unsigned?: UnsignedAttributes): Promise<Buffer> {
    const signed = this.signedAttributes(input.digest, input.signingTime);
    const signature = await this.signer.sign(signed);
    return this.assemble(signed, signature, input.content, unsigned ? await unsigned(signature) : []);
  }

  /**
   * Signs many content digests at one signing time (sign-hash), all detached. The signed
   * attributes and the whole ContentInfo are encoded once per call as templates, through the same
   * code as `sign`; each signature then only copies them and writes its digest and signature value
   * in place. `signMany` signs the attribute sets — by default concurrently on the signer; a
   * caller may spread them over worker threads instead.
   */
  async signDigests(digests: readonly Uint8Array[], signingTime?: Date): Promise<Buffer[]> {
    if (digests.length === 0) return [];
    const length = digests[0]!.length;
    if (digests.some((d) => d.length !== length)) throw new Error('all digests of one call must have the same length');
    // The attributes' DER order cannot depend on the digest: they differ in their type OIDs, which precede it.
    const attributes = this.signedAttributes(Buffer.alloc(length), signingTime);
    const digestAt = locateDigest(attributes, length);
    const signed = digests.map((digest) => {
      const copy = Buffer.from(attributes);
      copy.set(digest, digestAt);
      return copy;
    });
    const signatures = await (this.signer.signMany?.(signed) ?? Promise.all(signed.map((a) => this.signer.sign(a))));
    const templates = new Map<number, { der: Buffer; attributesAt: number }>();
    return signed.map((a, i) => {
      const signature = signatures[i]!;
      let template = templates.get(signature.length);
      if (!template) {
        const der = this.assemble(attributes, Buffer.alloc(signature.length));
        // Detached, no unsigned attributes: the DER ends with [0] attributes, the algorithm, OCTET STRING signature.
        const tail = attributes.length + this.signer.algorithm.identifierDer.length + octetString(signature).length;
        template = { der, attributesAt: der.length - tail };
        templates.set(signature.length, template);
      }
      const out = Buffer.from(template.der);
      out.set(a.subarray(1), template.attributesAt + 1); // keeps the [0] IMPLICIT tag of the template
      out.set(signature, out.length - signature.length);
      return out;
    });
  }

  /** Wraps signed attributes, their signature and unsigned attributes into a DER ContentInfo. */
  assemble(signedAttributes: Buffer, signature: Uint8Array, content?: Uint8Array, unsigned: Uint8Array[] = []): Buffer {
    const signerInfo = sequence(
      integer(1),
      this.signerIdentifier,
      this.digestAlgorithm,
      retag(signedAttributes, 0xa0), // [0] IMPLICIT SignedAttributes
      this.signer.algorithm.identifierDer,
      octetString(signature),
      ...(unsigned.length ? [implicitConstructed(1, ...unsigned)] : []),
    );
    const encapsulated = content
      ? sequence(oid(this.contentType), explicit(0, octetString(content)))
      : sequence(oid(this.contentType));
    const signedData = sequence(
      this.version,
      tlv(0x31, this.digestAlgorithm),
      encapsulated,
      this.certificateSet,
      tlv(0x31, signerInfo),
    );
    return sequence(oid(CMS_OID.signedData), explicit(0, signedData));
  }
}

/** Offset of the messageDigest value (a zero digest of `length` bytes) inside encoded signed attributes. */
function locateDigest(attributes: Buffer, length: number): number {
  const header = attribute(CMS_OID.messageDigest, octetString(Buffer.alloc(length)));
  const at = attributes.indexOf(header);
  if (at < 0) throw new Error('messageDigest attribute not found');
  return at + header.length - length;
}

/** An Attribute (RFC 5652 §5.3) with one value. */
export function attribute(type: string, value: Uint8Array): Buffer {
  return sequence(oid(type), tlv(0x31, value));
}

/** A copy of a DER element with its first (tag) octet replaced. */
function retag(element: Buffer, tag: number): Buffer {
  const copy = Buffer.from(element);
  copy[0] = tag;
  return copy;
}

/** The DER issuer Name and serial INTEGER of a certificate, read without pkijs (it is per call). */
function certificateIdentity(der: Uint8Array): { issuer: Buffer; serial: Buffer } {
  const cert = readCertificate(der);
  return { issuer: cert.issuerDer, serial: unsignedInteger(serialBytes(cert.serial)) };
}

/**
 * SigningCertificateV2 (RFC 5035 §3) with one ESSCertIDv2: the SHA-256 certificate hash — its
 * hashAlgorithm omitted, being the DEFAULT — and IssuerSerial, as CAdES requires (EN 319 122-1 §5.2.2.3).
 */
function signingCertificateV2(certificate: Uint8Array, identity: { issuer: Buffer; serial: Buffer }): Buffer {
  const certHash = createHash('sha256').update(certificate).digest();
  const issuerSerial = sequence(sequence(explicit(4, identity.issuer)), identity.serial);
  return sequence(sequence(sequence(octetString(certHash), issuerSerial)));
}

/**
 * The reference encoder: the same SignedData built with pkijs objects (signed attributes sorted
 * by hand, as pkijs keeps them in insertion order — PKI.js#402). Tests compare the fast path's
 * bytes with these; production signs through CmsSignatureBuilder.
 */
export async function buildSignedDataReference(
  signer: Signer,
  certificates: readonly Uint8Array[],
  input: SignatureInput,
  options: { contentType?: string; unsignedAttributes?: Uint8Array[]; embedCertificates?: boolean } = {},
): Promise<Buffer> {
  ensurePkijsEngine();
  const contentType = options.contentType ?? CMS_OID.data;
  const parsed = certificates.map((der) => pkijs.Certificate.fromBER(toArrayBuffer(der)));
  const leaf = parsed[0]!;
  const digestAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: DIGEST_OID[signer.algorithm.hash] });
  const certHash = createHash('sha256').update(certificates[0]!).digest();
  const attributes = [
    new pkijs.Attribute({ type: CMS_OID.contentType, values: [new asn1js.ObjectIdentifier({ value: contentType })] }),
    new pkijs.Attribute({
      type: CMS_OID.messageDigest,
      values: [new asn1js.OctetString({ valueHex: toArrayBuffer(input.digest) })],
    }),
    ...(input.signingTime
      ? [new pkijs.Attribute({ type: CMS_OID.signingTime, values: [pkijsTime(input.signingTime)] })]
      : []),
    new pkijs.Attribute({
      type: CMS_OID.signingCertificateV2,
      values: [
        new asn1js.Sequence({
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.Sequence({
                  value: [
                    new asn1js.OctetString({ valueHex: toArrayBuffer(certHash) }),
                    new pkijs.IssuerSerial({
                      issuer: new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: leaf.issuer })] }),
                      serialNumber: leaf.serialNumber,
                    }).toSchema(),
                  ],
                }),
              ],
            }),
          ],
        }),
      ],
    }),
  ];
  attributes.sort((a, b) => Buffer.compare(Buffer.from(a.toSchema().toBER()), Buffer.from(b.toSchema().toBER())));
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes });
  const toSign = Buffer.from(signedAttrs.toSchema().toBER());
  toSign[0] = 0x31; // the signature covers the attributes as a SET (RFC 5652 §5.4)
  const signature = await signer.sign(toSign);
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
    digestAlgorithm,
    signedAttrs,
    signatureAlgorithm: pkijs.AlgorithmIdentifier.fromBER(toArrayBuffer(signer.algorithm.identifierDer)),
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(signature) }),
    ...(options.unsignedAttributes?.length
      ? {
          unsignedAttrs: new pkijs.SignedAndUnsignedAttributes({
            type: 1,
            attributes: options.unsignedAttributes.map((der) => pkijs.Attribute.fromBER(toArrayBuffer(der))),
          }),
        }
      : {}),
  });
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: contentType });
  // Set after construction: the constructor would split it into a constructed (BER) OCTET STRING.
  if (input.content) encapContentInfo.eContent = new asn1js.OctetString({ valueHex: toArrayBuffer(input.content) });
  const signedData = new pkijs.SignedData({
    version: contentType === CMS_OID.data ? 1 : 3,
    digestAlgorithms: [digestAlgorithm],
    encapContentInfo,
    ...(options.embedCertificates === false ? {} : { certificates: parsed }),
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: CMS_OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER());
}

/** signingTime as RFC 5652 §11.3 wants it: UTCTime through 2049, GeneralizedTime after. */
function pkijsTime(date: Date): asn1js.UTCTime | asn1js.GeneralizedTime {
  const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? new asn1js.UTCTime({ valueDate: seconds })
    : new asn1js.GeneralizedTime({ valueDate: seconds });
}
