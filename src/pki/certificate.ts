import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash } from 'node:crypto';
import { ensurePkijsEngine, toArrayBuffer } from './engine.js';
import type { ExtensionSpec } from './extensions.js';
import { nameAttributes, formatName, type NameAttribute } from './name.js';
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

/** The facts kyso reads from a certificate to store and display it. */
export interface CertificateSummary {
  /** Lowercase hex without leading zeros, as `openssl x509 -serial` prints it but lowercased. */
  readonly serial: string;
  readonly subject: NameAttribute[];
  readonly issuer: NameAttribute[];
  readonly subjectDn: string;
  readonly issuerDn: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  readonly isCa: boolean;
  /** DER of the subject and issuer Names, for exact comparison and CertID hashing. */
  readonly subjectDer: Buffer;
  readonly issuerDer: Buffer;
  readonly publicKeyInfo: Buffer;
}

/** Parses a DER certificate; throws on anything that is not one. */
export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  ensurePkijsEngine();
  return pkijs.Certificate.fromBER(toArrayBuffer(der));
}

/** Summarizes a parsed certificate. */
export function summarizeCertificate(der: Uint8Array, cert = parseCertificate(der)): CertificateSummary {
  const basic = cert.extensions?.find((e) => e.extnID === '2.5.29.19')?.parsedValue as
    | pkijs.BasicConstraints
    | undefined;
  return {
    serial: serialHex(new Uint8Array(cert.serialNumber.valueBlock.valueHexView)),
    subject: nameAttributes(cert.subject),
    issuer: nameAttributes(cert.issuer),
    subjectDn: formatName(nameAttributes(cert.subject)),
    issuerDn: formatName(nameAttributes(cert.issuer)),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    isCa: Boolean(basic?.cA),
    subjectDer: Buffer.from(cert.subject.toSchema().toBER()),
    issuerDer: Buffer.from(cert.issuer.toSchema().toBER()),
    publicKeyInfo: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER()),
  };
}

/** Lowercase hex of a serial's magnitude without leading zeros (`0` for zero). */
export function serialHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/^0+/, '') || '0';
}

/** The serial's magnitude bytes from its lowercase hex form. */
export function serialBytes(hex: string): Buffer {
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
