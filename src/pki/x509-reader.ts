import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import { serialHex } from './certificate.js';
import {
  children,
  childrenOf,
  content,
  DerError,
  expectTag,
  integerBytes,
  raw,
  readAlgorithm,
  readNameAttributes,
  readOid,
  readTime,
  readTlv,
  readWhole,
  smallInteger,
  type AlgorithmIdentifier,
  type EncodingRules,
  type Tlv,
} from './der-reader.js';
import type { NameAttribute } from './name.js';
import { OID } from './oids.js';
import { MalformedInput } from './errors.js';
import { derFromPemOrDer } from './pem.js';

/**
 * kyso's one certificate reader: imports, trust anchors, CA operations, OCSP and CMS building read
 * certificates through `readCertificate`, and the verifier builds its cached facts
 * (pki/verify/certificate-facts.ts) on it. pkijs builds certificates (certificate.ts) and still
 * reads in two places: the pkijs reference CMS builder (`buildSignedDataReference` in cms.ts, which
 * tests hold the fast builder to) parses its certificates, and `decodeName` (name.ts) reads Names.
 */

/** The fields of an X.509 certificate kyso stores or checks, read without pkijs. */
export interface ReadCertificate {
  readonly der: Buffer;
  /** The exact TBSCertificate bytes the issuer signed. */
  readonly tbs: Buffer;
  /** Lowercase hex without leading zeros (api.md "Certificates"). */
  readonly serial: string;
  /** The serial's magnitude bytes (sign padding removed). */
  readonly serialBytes: Buffer;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly issuer: NameAttribute[];
  readonly subject: NameAttribute[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeyInfo: Buffer;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Buffer;
  /** basicConstraints cA (RFC 5280 §4.2.1.9). */
  readonly isCa: boolean;
  /** The extensions in encoded order, each value the content of its extnValue OCTET STRING (see `readExtensions`). */
  readonly extensions: ReadonlyArray<{ readonly oid: string; readonly value: Buffer }>;
}

/** The extensions the verifier judges a certificate by, when present. */
export interface CertificateExtensions {
  readonly pathLength?: number;
  /** KeyUsage bits (RFC 5280 §4.2.1.3 numbering). */
  readonly keyUsage?: ReadonlySet<number>;
  readonly subjectKeyId?: Buffer;
  readonly authorityKeyId?: Buffer;
  /** Extended key usage purposes. */
  readonly extKeyUsage?: readonly string[];
  /** URIs of the CRL distribution points' full names (RFC 5280 §4.2.1.13). */
  readonly crlUrls?: readonly string[];
  /** URIs of the OCSP responders in authorityInfoAccess (RFC 5280 §4.2.2.1). */
  readonly ocspUrls?: readonly string[];
}

/** Digest of each signature algorithm kyso verifies on certificates (RFC 3279, RFC 4055, RFC 5758). */
const SIGNATURE_HASHES: Record<string, string> = {
  [OID.sha1WithRSAEncryption]: 'sha1',
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
  [OID.ecdsaWithSHA1]: 'sha1',
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
};

/** Reads a certificate sent by a client (PEM, base64 or DER); anything else is MalformedInput saying what is wrong. */
export function readCertificateInput(input: string | Uint8Array): ReadCertificate {
  const der = derFromPemOrDer(input, ['CERTIFICATE']);
  if (!der) throw new MalformedInput('not a PEM "CERTIFICATE" nor base64 DER');
  try {
    return readCertificate(der);
  } catch (err) {
    if (err instanceof DerError) throw new MalformedInput(`not an X.509 certificate: ${err.message}`);
    throw err;
  }
}

/**
 * Reads a certificate, DER unless `rules` is 'ber' (the verifier's, for certificates found in
 * documents); throws DerError for anything that is not one.
 */
export function readCertificate(input: Uint8Array, rules: EncodingRules = 'der'): ReadCertificate {
  const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const [tbsTlv, algTlv, sigTlv] = children(readWhole(der, 0x30, rules));
  const fields = childrenOf(tbsTlv, 0x30);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // version [0] EXPLICIT, absent for v1
  const serialTlv = fields[i++];
  if (content(expectTag(serialTlv, 0x02)).length === 0) throw new DerError('empty serial number');
  expectTag(fields[i++], 0x30); // signature AlgorithmIdentifier (repeated outside the TBS, and covered by the signature)
  const issuerTlv = expectTag(fields[i++], 0x30);
  const validity = childrenOf(fields[i++], 0x30);
  const subjectTlv = expectTag(fields[i++], 0x30);
  const spkiTlv = expectTag(fields[i++], 0x30);
  const wrapper = fields.slice(i).find((f) => f.tag === 0xa3);
  const extensions = wrapper ? childrenOf(children(wrapper)[0], 0x30).map(readExtension) : [];
  const basicConstraints = extensions.find((e) => e.oid === OID.basicConstraints);
  let isCa = false;
  if (basicConstraints) {
    const [cA] = children(readWhole(basicConstraints.value, 0x30, rules));
    isCa = cA?.tag === 0x01 && content(cA)[0] !== 0;
  }
  const sigBits = content(expectTag(sigTlv, 0x03));
  if (sigBits.length === 0 || sigBits[0] !== 0) throw new DerError('signature BIT STRING has unused bits');
  if (validity.length !== 2) throw new DerError('validity needs notBefore and notAfter');
  const serialBytes = integerBytes(serialTlv);
  return {
    der,
    tbs: raw(tbsTlv!),
    serial: serialHex(serialBytes),
    serialBytes,
    issuerDer: raw(issuerTlv),
    subjectDer: raw(subjectTlv),
    issuer: readNameAttributes(issuerTlv),
    subject: readNameAttributes(subjectTlv),
    notBefore: readTime(validity[0]),
    notAfter: readTime(validity[1]),
    publicKeyInfo: raw(spkiTlv),
    signatureAlgorithm: readAlgorithm(algTlv),
    signature: sigBits.subarray(1),
    isCa,
    extensions,
  };
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function readExtension(extension: Tlv): { oid: string; value: Buffer } {
  const parts = childrenOf(extension, 0x30);
  return { oid: readOid(parts[0]), value: content(expectTag(parts[parts.length - 1], 0x04)) };
}

/** GeneralName uniformResourceIdentifier, [6] IMPLICIT IA5String. */
const URI_TAG = 0x86;
const uri = (name: Tlv): string => content(name).toString('latin1');

/** URLs read from an access extension; a malformed one gives none rather than making the certificate unreadable. */
function locations(read: () => string[]): string[] {
  try {
    return read();
  } catch {
    return [];
  }
}

/** Reads the extensions the verifier judges a certificate by; throws DerError for a malformed one. */
export function readExtensions(cert: ReadCertificate, rules: EncodingRules = 'der'): CertificateExtensions {
  const out: { -readonly [K in keyof CertificateExtensions]?: CertificateExtensions[K] } = {};
  for (const extension of cert.extensions) {
    const value = readTlv(extension.value, 0, extension.value.length, rules);
    switch (extension.oid) {
      case OID.basicConstraints: {
        const length = children(value).find((t) => t.tag === 0x02);
        if (length) out.pathLength = smallInteger(length);
        break;
      }
      case OID.keyUsage: {
        const bytes = content(expectTag(value, 0x03, 'a KeyUsage BIT STRING')).subarray(1);
        const bits = new Set<number>();
        bytes.forEach((byte, n) => {
          for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) bits.add(n * 8 + b);
        });
        out.keyUsage = bits;
        break;
      }
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = content(expectTag(value, 0x04, 'a SubjectKeyIdentifier'));
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = children(value).find((t) => t.tag === 0x80);
        if (keyId) out.authorityKeyId = content(keyId);
        break;
      }
      case OID.extKeyUsage:
        out.extKeyUsage = children(value).map(readOid);
        break;
      case OID.crlDistributionPoints:
        out.crlUrls = locations(() =>
          // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }; relative names and cRLIssuer are not followed.
          children(value).flatMap((point) => {
            const name = children(point).find((t) => t.tag === 0xa0);
            const fullName = name && children(name).find((t) => t.tag === 0xa0);
            return fullName ? children(fullName).filter((n) => n.tag === URI_TAG).map(uri) : [];
          }),
        );
        break;
      case OID.authorityInfoAccess:
        out.ocspUrls = locations(() =>
          children(value).flatMap((access) => {
            const [method, location] = children(access);
            return readOid(method) === OID.adOcsp && location?.tag === URI_TAG ? [uri(location)] : [];
          }),
        );
        break;
    }
  }
  return out;
}

/**
 * Whether `issuerKey` verifies the certificate's signature (on the libuv thread pool, so batches use
 * every core). Undefined when the signature algorithm is one kyso does not verify (RSASSA-PSS,
 * GOST, …), so callers can say so rather than "bad signature".
 */
export async function verifyCertificateSignature(cert: ReadCertificate, issuerKey: KeyObject): Promise<boolean | undefined> {
  const oid = cert.signatureAlgorithm.oid;
  const hash = SIGNATURE_HASHES[oid];
  if (!hash) return undefined;
  const ecdsa = oid.startsWith('1.2.840.10045.');
  if (ecdsa !== (issuerKey.asymmetricKeyType === 'ec')) return false;
  return new Promise((resolve) =>
    nodeVerify(hash, cert.tbs, { key: issuerKey, dsaEncoding: 'der' }, cert.signature, (err, ok) => resolve(!err && ok)),
  );
}
