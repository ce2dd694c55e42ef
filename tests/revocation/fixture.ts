import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as pkijs from 'pkijs';
import type { IssuedCertificate, IssueInput } from '../../src/certificates/issuance.js';
import { findOrganizations } from '../../src/db/organizations-repo.js';
import { toArrayBuffer } from '../../src/pki/engine.js';
import { toPem } from '../../src/pki/pem.js';
import type { Services } from '../../src/services.js';
import type { TestKyso } from '../support/kyso.js';

const run = promisify(execFile);

/** A certificate issued for a test. */
export interface TestCertificate {
  readonly serial: string;
  readonly der: Buffer;
}

/**
 * Issues certificates the way an approved request does, without the request: `prepare`, `sign`
 * with no transaction open, then `store` in a short one. The benchmarks issue theirs with it too.
 */
export async function issueCertificates(services: Pick<Services, 'knex' | 'issuance'>, inputs: IssueInput[]): Promise<IssuedCertificate[]> {
  const { knex, issuance } = services;
  const organizations = await findOrganizations(knex, [...new Set(inputs.map((i) => i.organizationId))]);
  const signed = await issuance.sign(inputs.map((input) => issuance.prepare(input, organizations.get(input.organizationId))));
  return knex.transaction((trx) => issuance.store(trx, { principal: null, ip: null }, signed));
}

/** Issues an end-entity certificate through kyso's issuance service (as an approved request would). */
export async function issueTestCertificate(t: TestKyso, organizationId: string): Promise<TestCertificate> {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const [issued] = await issueCertificates(t.kyso.services, [
    {
      holder: 'individual',
      medium: 'token',
      organizationId,
      subject: { commonName: 'Nguyễn Văn Thử', uid: 'CCCD:001099012345' },
      publicKeyInfo: key.publicKey.export({ type: 'spki', format: 'der' }),
    },
  ]);
  return { serial: issued!.serial, der: issued!.der };
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

/** Revokes, suspends or resumes a certificate through the HTTP API, as an officer would. */
export async function changeStatus(
  t: TestKyso,
  certificate: TestCertificate,
  action: 'revoke' | 'suspend' | 'resume',
  reason?: string,
): Promise<void> {
  const res = await t
    .http()
    .post(`/api/v1/certificates/${certificate.serial}/${action}`)
    .set('Authorization', `Bearer ${await t.adminToken()}`)
    .send(reason ? { reason } : {});
  if (res.status !== 200) throw new Error(`${action} ${certificate.serial}: ${res.status} ${JSON.stringify(res.body)}`);
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

/** The status of the first SingleResponse of a DER OCSPResponse, read with pkijs. */
export function firstCertStatus(der: Buffer): 'good' | 'revoked' | 'unknown' {
  const response = pkijs.OCSPResponse.fromBER(toArrayBuffer(der));
  const basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes!.response.valueBlock.valueHexView.slice().buffer);
  const tag = (basic.tbsResponseData.responses[0]!.certStatus as { idBlock: { tagNumber: number } }).idBlock.tagNumber;
  return (['good', 'revoked', 'unknown'] as const)[tag]!;
}
