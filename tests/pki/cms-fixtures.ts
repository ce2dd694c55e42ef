import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { buildCertificate } from '../../src/pki/certificate.js';
import {
  basicConstraintsValue,
  extKeyUsageValue,
  keyIdentifier,
  keyUsageValue,
  KeyUsageBit,
  subjectKeyIdentifierValue,
  authorityKeyIdentifierValue,
} from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The fixed instant of every golden vector. */
export const GOLDEN_TIME = new Date('2026-03-01T08:30:00Z');

/** A deterministic CA (RSA, so its signatures are reproducible) and signer certificates under it. */
export interface GoldenPki {
  readonly caSigner: KeyObjectSigner;
  readonly caDer: Buffer;
  readonly rsaSigner: KeyObjectSigner;
  readonly rsaDer: Buffer;
  readonly p256Signer: KeyObjectSigner;
  readonly p256Der: Buffer;
}

/** Builds the golden CA and signer certificates from the committed fixture keys. */
export async function goldenPki(): Promise<GoldenPki> {
  const caSigner = new KeyObjectSigner(createPrivateKey(fixture('golden-ca.key')));
  const rsaSigner = new KeyObjectSigner(createPrivateKey(fixture('golden-signer-rsa.key')));
  const p256Signer = new KeyObjectSigner(createPrivateKey(fixture('golden-signer-p256.key')));
  const caName = encodeName([
    { type: OID.countryName, value: 'VN' },
    { type: OID.commonName, value: 'Golden Test CA' },
  ]);
  const caKeyId = keyIdentifier(caSigner.publicKeyInfo);
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const caDer = await buildCertificate(
    {
      serialNumber: Buffer.from('01', 'hex'),
      issuer: caName,
      subject: caName,
      notBefore,
      notAfter: new Date('2036-01-01T00:00:00Z'),
      subjectPublicKeyInfo: caSigner.publicKeyInfo,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) },
        { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]) },
        { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(caKeyId) },
      ],
    },
    caSigner,
  );
  const leaf = (serial: string, cn: string, signer: KeyObjectSigner) =>
    buildCertificate(
      {
        serialNumber: Buffer.from(serial, 'hex'),
        issuer: caName,
        subject: encodeName([
          { type: OID.countryName, value: 'VN' },
          { type: OID.commonName, value: cn },
          { type: OID.userId, value: 'CCCD:001099000001' },
        ]),
        notBefore,
        notAfter: new Date('2029-01-01T00:00:00Z'),
        subjectPublicKeyInfo: signer.publicKeyInfo,
        extensions: [
          { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(false) },
          {
            oid: OID.keyUsage,
            critical: true,
            value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.nonRepudiation]),
          },
          { oid: OID.extKeyUsage, critical: false, value: extKeyUsageValue([OID.kpEmailProtection, OID.kpDocumentSigning]) },
          { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(caKeyId) },
        ],
      },
      caSigner,
    );
  return {
    caSigner,
    caDer,
    rsaSigner,
    rsaDer: await leaf('1001', 'Nguyễn Thị Golden RSA', rsaSigner),
    p256Signer,
    p256Der: await leaf('1002', 'Trần Văn Golden P-256', p256Signer),
  };
}

/** A small PDF as an office suite would make it: `objectStreams` selects a cross-reference stream (PDF 1.5). */
export async function samplePdf(objectStreams: boolean, pages = 2): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) {
    doc.addPage([595, 842]).drawText(`Hoc ba so - trang ${i}`, { x: 72, y: 760, size: 14, font });
  }
  return Buffer.from(await doc.save({ useObjectStreams: objectStreams }));
}
