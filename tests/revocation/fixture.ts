import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { accessExtensions } from '../../src/ca/urls.js';
import { buildCertificate, summarizeCertificate } from '../../src/pki/certificate.js';
import {
  authorityKeyIdentifierValue,
  basicConstraintsValue,
  keyIdentifier,
  subjectKeyIdentifierValue,
} from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { randomSerial } from '../../src/pki/serial.js';
import type { TestKyso } from '../support/kyso.js';

const run = promisify(execFile);

/** A certificate the test put in the database as if kyso had issued it. */
export interface TestCertificate {
  readonly id: string;
  readonly serial: string;
  readonly der: Buffer;
}

/**
 * Issues an end-entity certificate with the issuing CA and stores its `certificates` row directly,
 * standing in for the issuance service so revocation can be tested on its own.
 */
export async function issueTestCertificate(t: TestKyso, organizationId: string): Promise<TestCertificate> {
  const { services } = t.kyso;
  const issuing = services.authorities.issuing();
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const now = services.clock.now();
  const der = await buildCertificate(
    {
      serialNumber: randomSerial(),
      issuer: issuing.subjectDer,
      subject: encodeName([
        { type: OID.countryName, value: 'VN' },
        { type: OID.commonName, value: 'Nguyễn Văn Thử' },
      ]),
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
      subjectPublicKeyInfo: spki,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(false) },
        { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(keyIdentifier(spki)) },
        { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(issuing.keyId) },
        ...accessExtensions(services.config.publicUrl, issuing.name, { ocsp: true }),
      ],
    },
    issuing.signer,
  );
  const summary = summarizeCertificate(der);
  const id = randomUUID();
  await services.knex('certificates').insert({
    id,
    serial: summary.serial,
    issuer_dn: summary.issuerDn,
    issuer_name_hash: createHash('sha256').update(summary.issuerDer).digest('hex'),
    issuer_ca_id: issuing.row.id,
    fingerprint: summary.fingerprint,
    der,
    subject_dn: summary.subjectDn,
    common_name: 'Nguyễn Văn Thử',
    uids: [],
    holder: 'individual',
    medium: 'token',
    subject: JSON.stringify({ commonName: 'Nguyễn Văn Thử' }),
    organization_id: organizationId,
    sector: 'education',
    province: 'Hà Nội',
    not_before: summary.notBefore,
    not_after: summary.notAfter,
    status: 'active',
    source: 'issued',
    created_at: now,
  });
  return { id, serial: summary.serial, der };
}

/** An organization row for test certificates. */
export async function testOrganization(t: TestKyso): Promise<string> {
  const id = randomUUID();
  await t.kyso.services.knex('organizations').insert({
    id,
    name: 'Trường THPT Thử Nghiệm',
    code: `01${Math.floor(Math.random() * 1e8)}`,
    sector: 'education',
    province: 'Hà Nội',
    created_at: new Date(),
  });
  return id;
}

/** Changes a certificate's status the way the certificate service does: the row and a status-change row together. */
export async function changeStatus(
  t: TestKyso,
  certificate: TestCertificate,
  change: { status: 'revoked'; reason: string; at: Date } | { status: 'suspended'; at: Date } | { status: 'active'; at: Date },
): Promise<void> {
  await t.kyso.services.knex.transaction(async (trx) => {
    const fields =
      change.status === 'revoked'
        ? { status: 'revoked', revoked_at: change.at, revocation_reason: change.reason }
        : change.status === 'suspended'
          ? { status: 'suspended', suspended_at: change.at, revocation_reason: 'certificateHold' }
          : { status: 'active', suspended_at: null, revocation_reason: null };
    await trx('certificates').where({ id: certificate.id }).update(fields);
    await trx('certificate_status_changes').insert({
      certificate_id: certificate.id,
      at: change.at,
      status: change.status,
      reason: change.status === 'revoked' ? change.reason : change.status === 'suspended' ? 'certificateHold' : null,
    });
  });
}

/** Runs openssl (asynchronously: the server under test shares this process), returning stdout. */
export async function openssl(args: string[]): Promise<string> {
  return (await run('openssl', args, { encoding: 'latin1' })).stdout;
}

/** Runs openssl with stderr folded into the output (it prints verification results there). */
export async function opensslAll(args: string[]): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'openssl "$@" 2>&1', 'openssl', ...args], { encoding: 'latin1' });
  return stdout;
}

/** Writes a DER certificate as PEM into `dir` and returns the path. */
export function writePem(dir: string, name: string, der: Uint8Array, label = 'CERTIFICATE'): string {
  const file = path.join(dir, name);
  writeFileSync(file, toPem(der, label));
  return file;
}
