import { generateKeyPairSync } from 'node:crypto';
import { buildCertificate } from '../../src/pki/certificate.js';
import {
  authorityKeyIdentifierValue,
  basicConstraintsValue,
  keyIdentifier,
  keyUsageValue,
  KeyUsageBit,
  subjectKeyIdentifierValue,
} from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import type { TestKyso } from '../support/kyso.js';

/** A certificate authority of "another PKI" (the national CA of the years before kyso), made for tests. */
export interface HistoricalCa {
  readonly pem: string;
  /** A certificate issued by this CA with the given validity, as PEM. */
  issue(subject: { commonName: string; uid: string }, notBefore: Date, notAfter: Date): Promise<string>;
}

/** Creates a P-256 root CA valid 2015–2045 that signs leaves with chosen dates (history to import). */
export async function historicalCa(name: string): Promise<HistoricalCa> {
  const caKey = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const leafKey = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const caName = encodeName([
    { type: OID.countryName, value: 'VN' },
    { type: OID.organizationName, value: name },
    { type: OID.commonName, value: `${name} Root CA` },
  ]);
  const caKeyId = keyIdentifier(caKey.publicKeyInfo);
  const caDer = await buildCertificate(
    {
      serialNumber: Buffer.from([1]),
      issuer: caName,
      subject: caName,
      notBefore: new Date('2015-01-01T00:00:00Z'),
      notAfter: new Date('2045-01-01T00:00:00Z'),
      subjectPublicKeyInfo: caKey.publicKeyInfo,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) },
        { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]) },
        { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(caKeyId) },
      ],
    },
    caKey,
  );
  let serial = 0x1000;
  return {
    pem: toPem(caDer, 'CERTIFICATE'),
    issue: async (subject, notBefore, notAfter) => {
      serial += 1;
      const der = await buildCertificate(
        {
          serialNumber: Buffer.from(serial.toString(16).padStart(8, '0'), 'hex'),
          issuer: caName,
          subject: encodeName([
            { type: OID.countryName, value: 'VN' },
            { type: OID.commonName, value: subject.commonName },
            { type: OID.userId, value: subject.uid },
          ]),
          notBefore,
          notAfter,
          subjectPublicKeyInfo: leafKey.publicKeyInfo,
          extensions: [
            { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(false) },
            { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.nonRepudiation]) },
            { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(caKeyId) },
          ],
        },
        caKey,
      );
      return toPem(der, 'CERTIFICATE');
    },
  };
}

/** One historical certificate to import. */
export interface HistoryItem {
  holder: 'individual' | 'organization';
  medium: 'token' | 'sim' | 'remote' | 'file';
  organizationId: string;
  notBefore: string;
  notAfter?: string;
}

/** Registers `ca` as a trust anchor and imports the items through POST /api/v1/certificates/import/batch; returns serials. */
export async function importHistory(t: TestKyso, ca: HistoricalCa, items: readonly HistoryItem[]): Promise<string[]> {
  const admin = await t.adminToken();
  const anchor = await t.http().post('/api/v1/trust-anchors').set('Authorization', `Bearer ${admin}`).send({ name: 'Historical CA', pem: ca.pem });
  if (anchor.status !== 201 && anchor.status !== 409) throw new Error(`trust anchor: ${anchor.status} ${JSON.stringify(anchor.body)}`);
  const body = await Promise.all(
    items.map(async (item, i) => {
      const notBefore = new Date(item.notBefore);
      const notAfter = item.notAfter ? new Date(item.notAfter) : new Date(notBefore.getTime() + 3 * 365 * 86400_000);
      const pem = await ca.issue({ commonName: `Nguyễn Văn Lịch Sử ${i}`, uid: `CCCD:0792000${String(i).padStart(5, '0')}` }, notBefore, notAfter);
      return { pem, holder: item.holder, medium: item.medium, organizationId: item.organizationId };
    }),
  );
  const res = await t.http().post('/api/v1/certificates/import/batch').set('Authorization', `Bearer ${admin}`).send(body);
  if (res.status !== 207) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
  const results = res.body.results as Array<{ serial?: string; status: string; error?: unknown }>;
  const failed = results.filter((r) => r.status !== 'imported');
  if (failed.length) throw new Error(`import refused: ${JSON.stringify(failed)}`);
  return results.map((r) => r.serial!);
}
