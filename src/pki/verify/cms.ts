import { CMS_OID } from '../cms.js';
import {
  children,
  childrenOf,
  DerError,
  expectTag,
  integerBytes,
  octets,
  octetString,
  raw,
  readOid,
  readAlgorithm,
  readBer,
  type AlgorithmIdentifier,
  type Tlv,
} from '../der-reader.js';

/** ESS signing-certificate (v1, RFC 2634 §5.4): still written by older signing tools. */
export const SIGNING_CERTIFICATE_V1 = '1.2.840.113549.1.9.16.2.12';

/** How a SignerInfo names its certificate (RFC 5652 §5.3). */
export type SignerIdentifier =
  | { readonly kind: 'issuerAndSerial'; readonly issuerDer: Buffer; readonly serialBytes: Buffer }
  | { readonly kind: 'keyId'; readonly keyId: Buffer };

/** One SignerInfo, with exact slices of what its signature covers. */
export interface SignerInfo {
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: AlgorithmIdentifier;
  /** DER of the signed attributes re-tagged as SET OF (RFC 5652 §5.4: what the signature covers). */
  readonly signedAttributesDer?: Buffer;
  /** Signed attributes by type: the elements of each attribute's SET of values. */
  readonly signedAttributes: ReadonlyMap<string, Tlv[]>;
  readonly unsignedAttributes: ReadonlyMap<string, Tlv[]>;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Buffer;
}

/** A parsed CMS SignedData. */
export interface SignedData {
  readonly eContentType: string;
  /** The encapsulated content; undefined for a detached signature. */
  readonly eContent?: Buffer;
  /** DER of every X.509 certificate in the `certificates` field. */
  readonly certificates: Buffer[];
  /** Revocation data carried in the `crls` field (RFC 5652 §10.2.1): CRLs, and OCSP responses (RFC 5940). */
  readonly crls: Buffer[];
  readonly ocspResponses: Buffer[];
  readonly signers: SignerInfo[];
}

/** id-ri-ocsp-response (RFC 5940 §4.1): an OCSPResponse as OtherRevocationInfoFormat. */
const OCSP_REVOCATION_INFO = '1.3.6.1.5.5.7.16.2';

/** Parses a ContentInfo holding SignedData (DER or BER). Throws DerError on anything else. */
export function parseSignedData(der: Buffer): SignedData {
  const outer = readBer(der);
  if (outer.end !== der.length) throw new DerError('trailing bytes after the ContentInfo');
  const [type, explicitContent] = childrenOf(outer, 0x30, 'a ContentInfo');
  if (readOid(type) !== CMS_OID.signedData) throw new DerError('the ContentInfo is not SignedData');
  const [signedData] = childrenOf(expectTag(explicitContent, 0xa0, 'the ContentInfo content'), 0xa0, 'content');
  const fields = childrenOf(signedData!, 0x30, 'a SignedData');
  const [eContentTypeTlv, eContentWrapper] = childrenOf(fields[2]!, 0x30, 'an EncapsulatedContentInfo');
  const eContent = eContentWrapper ? octetString(children(eContentWrapper)[0], 'eContent') : undefined;
  let certificates: Buffer[] = [];
  const crls: Buffer[] = [];
  const ocspResponses: Buffer[] = [];
  let signerInfos: Tlv | undefined;
  for (const field of fields.slice(3)) {
    if (field.tag === 0xa0) certificates = children(field).filter((c) => c.tag === 0x30).map((c) => Buffer.from(raw(c)));
    else if (field.tag === 0xa1) {
      for (const choice of children(field)) {
        if (choice.tag === 0x30) crls.push(Buffer.from(raw(choice)));
        else if (choice.tag === 0xa1) {
          const [format, info] = children(choice);
          if (readOid(format) === OCSP_REVOCATION_INFO && info) ocspResponses.push(Buffer.from(raw(info)));
        }
      }
    } else if (field.tag === 0x31) signerInfos = field;
  }
  if (!signerInfos) throw new DerError('SignedData without signerInfos');
  return {
    eContentType: readOid(eContentTypeTlv),
    ...(eContent ? { eContent } : {}),
    certificates,
    crls,
    ocspResponses,
    signers: children(signerInfos).map(readSignerInfo),
  };
}

function readSignerInfo(tlv: Tlv): SignerInfo {
  const fields = childrenOf(tlv, 0x30, 'a SignerInfo');
  const sidTlv = fields[1]!;
  const sid: SignerIdentifier =
    sidTlv.tag === 0x80
      ? { kind: 'keyId', keyId: octets(sidTlv) }
      : (() => {
          const [issuer, serial] = childrenOf(sidTlv, 0x30, 'an IssuerAndSerialNumber');
          return { kind: 'issuerAndSerial', issuerDer: raw(expectTag(issuer, 0x30, 'an issuer Name')), serialBytes: integerBytes(serial) } as const;
        })();
  let i = 2;
  const digestAlgorithm = readAlgorithm(fields[i++]);
  let signedAttributesDer: Buffer | undefined;
  let signedAttributes = new Map<string, Tlv[]>();
  if (fields[i]?.tag === 0xa0) {
    const attrs = fields[i++]!;
    // The signature covers the DER of the SET OF, not the [0] IMPLICIT tagging (RFC 5652 §5.4).
    signedAttributesDer = Buffer.from(raw(attrs));
    signedAttributesDer[0] = 0x31;
    signedAttributes = readAttributes(attrs);
  }
  const signatureAlgorithm = readAlgorithm(fields[i++]);
  const signature = octetString(fields[i++], 'a signature OCTET STRING');
  const unsigned = fields[i]?.tag === 0xa1 ? readAttributes(fields[i]!) : new Map<string, Tlv[]>();
  return {
    sid,
    digestAlgorithm,
    ...(signedAttributesDer ? { signedAttributesDer } : {}),
    signedAttributes,
    unsignedAttributes: unsigned,
    signatureAlgorithm,
    signature,
  };
}

function readAttributes(set: Tlv): Map<string, Tlv[]> {
  const attributes = new Map<string, Tlv[]>();
  for (const attribute of children(set)) {
    const [type, values] = childrenOf(attribute, 0x30, 'an Attribute');
    const id = readOid(type);
    if (attributes.has(id)) throw new DerError(`attribute ${id} appears twice`);
    attributes.set(id, childrenOf(values!, 0x31, 'attribute values'));
  }
  return attributes;
}
