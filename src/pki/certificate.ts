import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from './engine.js';
import type { ExtensionSpec } from './extensions.js';
import type { Signer } from './signer.js';

/** Everything that goes into a certificate's TBSCertificate, already encoded where it is DER. */
export interface CertificateTemplate {
  /** Unsigned big-endian serial; must be positive and at most 20 octets (RFC 5280 §4.1.2.2). */
  readonly serialNumber: Uint8Array;
  /** DER Name of the issuer (copied byte for byte from the issuer certificate's subject). */
  readonly issuer: Uint8Array;
  /** DER Name of the subject. */
  readonly subject: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly extensions: readonly ExtensionSpec[];
}

/**
 * Builds and signs an X.509 v3 certificate with pkijs. This is the reference encoder: the
 * fast issuance path must produce exactly these bytes for the same template and signature.
 */
export async function buildCertificate(template: CertificateTemplate, signer: Signer): Promise<Buffer> {
  const cert = pkijsTemplate(template, signer);
  const tbs = Buffer.from(cert.encodeTBS().toBER());
  const signature = await signer.sign(tbs);
  cert.signatureValue = new asn1js.BitString({ valueHex: toArrayBuffer(signature) });
  return Buffer.from(cert.toSchema(true).toBER());
}

/** The pkijs Certificate for a template, unsigned; exposed so tests can compare encodings. */
export function pkijsTemplate(template: CertificateTemplate, signer: Signer): pkijs.Certificate {
  const algorithm = pkijs.AlgorithmIdentifier.fromBER(toArrayBuffer(signer.algorithm.identifierDer));
  const serial = template.serialNumber;
  const serialBytes = serial[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), serial]) : Buffer.from(serial);
  return new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: toArrayBuffer(serialBytes) }),
    signature: algorithm,
    issuer: pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(template.issuer)),
    subject: pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(template.subject)),
    notBefore: pkijsTime(template.notBefore),
    notAfter: pkijsTime(template.notAfter),
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(toArrayBuffer(template.subjectPublicKeyInfo)),
    extensions: template.extensions.map(
      (ext) =>
        new pkijs.Extension({
          extnID: ext.oid,
          critical: ext.critical,
          extnValue: toArrayBuffer(ext.value),
        }),
    ),
    signatureAlgorithm: pkijs.AlgorithmIdentifier.fromBER(toArrayBuffer(signer.algorithm.identifierDer)),
  });
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5), whole seconds. */
function pkijsTime(date: Date): pkijs.Time {
  const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: date.getUTCFullYear() >= 2050 ? 1 : 0, value: seconds });
}

/** Lowercase hex of a serial's magnitude without leading zeros (`0` for zero). */
export function serialHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/^0+/, '') || '0';
}

/** The serial's magnitude bytes from its lowercase hex form. */
export function serialBytes(hex: string): Buffer {
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
